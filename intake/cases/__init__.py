"""One intake as staff see it: the case view, its API and the consult packet."""
