"""nbgrader configuration for the rnnlab classroom (run nbgrader from this folder, classroom/).

    cd classroom
    nbgrader generate_assignment rnn_from_scratch --force   # source/ -> nbgrader_release/, gradebook.db
    # students' notebooks in submitted/<student>/rnn_from_scratch/
    nbgrader autograde rnn_from_scratch                      # -> autograded/, scores in gradebook.db
    nbgrader generate_feedback rnn_from_scratch              # -> feedback/<student>/.../*.html

nbgrader writes its student copies to nbgrader_release/, never to the committed release/ (which
tools/release_exercises.py writes, with the same cell sources: tests/classroom/test_release.py).
Everything nbgrader writes here is ignored by git (.gitignore).  The feedback leaves out the
hidden part of every check cell (ClearHiddenTests below); the hidden tests only call
rnnlab.classroom.hidden.grade, whose seeds are in no notebook.
"""

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import ClearHiddenTests, GetGrades

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.CourseDirectory.root = "."
c.CourseDirectory.course_id = "rnnlab"
c.CourseDirectory.release_directory = "nbgrader_release"
c.CourseDirectory.db_url = "sqlite:///gradebook.db"
# The exercise cells carry nbgrader metadata, but the markers alone are enough.
c.ClearSolutions.enforce_metadata = False
c.ClearHiddenTests.enforce_metadata = False
# Students never see the hidden tests, not even in their feedback.
c.GenerateFeedback.preprocessors = [GetGrades, ClearHiddenTests, CSSHTMLHeaderPreprocessor]
