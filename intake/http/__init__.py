"""HTTP plumbing shared by every route: middleware that sits in front of the app."""
