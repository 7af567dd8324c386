"""nbgrader configuration for the rnnlab classroom (run nbgrader from this folder, classroom/).

    cd classroom
    nbgrader generate_assignment rnn_from_scratch        # source/ -> release/ (no database needed)

Autograding restores the hidden tests from nbgrader's gradebook, so when you will use
`nbgrader autograde`, release with the database on instead (see docs/instructors.md):

    nbgrader generate_assignment rnn_from_scratch --force \
        --GenerateAssignment.no_database=False --SaveCells.enabled=True
"""

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.CourseDirectory.root = "."
c.CourseDirectory.course_id = "rnnlab"
c.GenerateAssignment.no_database = True
c.SaveCells.enabled = False  # what `--no-db` sets too: graded cells are not written to a gradebook
# The exercise cells carry nbgrader metadata, but the markers alone are enough.
c.ClearSolutions.enforce_metadata = False
c.ClearHiddenTests.enforce_metadata = False
