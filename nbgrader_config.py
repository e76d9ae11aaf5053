"""nbgrader's configuration for the course (docs/teaching.md says how to use it).

The teacher's notebooks are the committed lessons, ``notebooks/course/*.ipynb``: nbgrader
reads its source notebooks from ``<source_directory>/<assignment>/``, so with
``source_directory = "notebooks"`` the assignment ``course`` is exactly that folder.
Student copies (``release/``), collected work (``submitted/``), graded copies
(``autograded/``), feedback (``feedback/``) and the grade book (``gradebook.db``) are
made beside this file and ignored by git.

    nbgrader generate_assignment course      # release/course/*.ipynb: the student copies
    nbgrader autograde course                # grades submitted/<student>/course/*.ipynb
"""

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "neurolab"
c.CourseDirectory.source_directory = "notebooks"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
# only the lessons are the assignment's notebooks (not helper files that may lie beside them)
c.CourseDirectory.notebook_id = "lesson*"
# what a student finds in place of the teacher's solution
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
# a lesson runs in well under a minute; allow slow laptops and a cold numba cache
c.ExecutePreprocessor.timeout = 300
