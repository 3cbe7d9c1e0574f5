"""Staff accounts: password login, bearer sessions with idle and absolute timeouts, roles."""
