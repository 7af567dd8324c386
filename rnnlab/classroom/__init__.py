"""The classroom exercises' checkers: run a student's function, say what is wrong.

Imports the core; nothing in the core imports from here.
"""
