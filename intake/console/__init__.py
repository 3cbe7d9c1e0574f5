"""The staff console: server-rendered pages under /staff for coordinators and clinicians."""
