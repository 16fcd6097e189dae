"""What every model family shares: the :class:`Model` protocol, the one input
pipeline from a task to model inputs, past labels, output tables and the
readable names of signals. Families import only from here and from themselves."""
