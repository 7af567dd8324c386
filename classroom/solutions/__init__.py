"""The reference solutions of the classroom exercises, as real, tested Python.

One module per exercise family, named like its checker in rnnlab/classroom/ (rnn_step.py here,
rnnlab/classroom/rnn_step.py there).  Each exercise is a top-level function whose body has a
``### BEGIN SOLUTION`` ... ``### END SOLUTION`` region: classroom/generate.py copies the function
into the source notebook verbatim, and the release replaces that region with a stub.  Lines
before the region (unpacking the cache, the docstring) are what the student starts from.
"""
