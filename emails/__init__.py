"""Email rendering and delivery. Takes plain typed data; imports nothing from `intake`."""
