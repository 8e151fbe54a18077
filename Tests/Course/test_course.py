#!/usr/bin/env python3
"""End-to-end tests of the exercises and quizzes through the command line: init, exercises,
grade, hint, solution, reset, a corrupt progress file, the quiz with scripted answers, and
watch mode through a pseudo-terminal. Every shipped exercise must fail untouched and pass with
its reference solution. Usage: test_course.py PATH/TO/descent (a release build)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import pexpect

BINARY = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/release/descent")
LESSONS = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lessons"))
failures = []
home = tempfile.mkdtemp(prefix="descent-course-")
ENV = dict(os.environ, XDG_DATA_HOME=os.path.join(home, "data"), NO_COLOR="1", TERM="xterm")
PROGRESS = os.path.join(home, "data", "descent", "progress.json")
WORKSPACE = os.path.join(home, "ws")


def check(condition, message):
    if not condition:
        failures.append(message)


def descent(*arguments, stdin=None, cwd=WORKSPACE):
    return subprocess.run([BINARY, *arguments], capture_output=True, text=True, env=ENV, cwd=cwd, input=stdin, timeout=300)


def shipped_exercises():
    """(id, lesson folder, file name) of every shipped exercise, in order."""
    found = []
    for folder in sorted(os.listdir(LESSONS)):
        exercises = os.path.join(LESSONS, folder, "exercises")
        if folder[:2].isdigit() and os.path.isdir(exercises):
            for name in sorted(os.listdir(exercises)):
                if name.endswith(".dsc"):
                    found.append((name[3:-4], folder, name))
    return found


exercises = shipped_exercises()
check(len(exercises) >= 16, f"expected at least 16 exercises, found {len(exercises)}")

# init: a copy of every exercise; a second init keeps the learner's files.
result = descent("init", WORKSPACE, cwd=home)
check(result.returncode == 0 and f"copied {len(exercises)} exercises" in result.stdout, f"init: {result.stdout}{result.stderr}")
result = descent("exercises")
check(result.returncode == 0 and f"0/{len(exercises)} done" in result.stdout and "not started" in result.stdout, f"exercises: {result.stdout}")
result = descent("grade", "no-such-exercise")
check(result.returncode == 1 and "there is no exercise 'no-such-exercise'" in result.stderr, f"unknown id: {result.stderr}")

# Every untouched exercise fails with located checks; every reference solution passes.
for exercise_id, folder, name in exercises:
    copy = os.path.join(WORKSPACE, folder, name)
    result = descent("grade", exercise_id)
    check(result.returncode == 1 and "not yet" in result.stdout, f"untouched {exercise_id} should fail: {result.stdout}{result.stderr}")
    check(f"{copy}:" in result.stderr and ("check failed:" in result.stderr or "error:" in result.stderr),
          f"untouched {exercise_id}: failures should be located in the learner's file: {result.stderr}")
    result = descent("solution", exercise_id)
    check(result.returncode == 1 and "does not pass yet" in result.stderr, f"solution of unsolved {exercise_id} should be refused")
    shutil.copy(os.path.join(LESSONS, folder, "solutions", name), copy)
    started = time.monotonic()
    result = descent("grade", exercise_id)
    check(result.returncode == 0 and "passed" in result.stdout, f"the solution of {exercise_id} should pass: {result.stdout}{result.stderr}")
    print(f"{exercise_id}: untouched fails, solution passes ({time.monotonic() - started:.1f} s)")
    result = descent("solution", exercise_id)
    check(result.returncode == 0 and "Reference solution" in result.stdout and "# hint:" not in result.stdout, f"solution {exercise_id}: {result.stdout}")

result = descent("exercises")
check(f"{len(exercises)}/{len(exercises)} done" in result.stdout, f"all done: {result.stdout}")
result = descent("grade")
check(result.returncode == 0, f"grade all should pass: {result.stdout}")

# Hints are revealed one at a time, up to the last, and remembered.
first_id = exercises[0][0]
for count in (1, 2, 3):
    result = descent("hint", first_id)
    check(f"Hint {count}/3" in result.stdout and f"Hint {count + 1}/3" not in result.stdout, f"hint {count}: {result.stdout}")
result = descent("hint", "1.1")
check("last hint" in result.stdout, f"after the last hint: {result.stdout}")
check(json.load(open(PROGRESS))["exercises"][first_id]["hints_shown"] == 3, "hints shown are kept in the progress file")

# reset restores the original; the exercise is not started again.
_, folder, name = exercises[0]
result = descent("reset", first_id)
check(result.returncode == 0 and open(os.path.join(WORKSPACE, folder, name)).read() == open(os.path.join(LESSONS, folder, "exercises", name)).read(), "reset")
result = descent("solution", first_id, "--force")
check(result.returncode == 0 and "Reference solution" in result.stdout, "solution --force")
check("not started" in descent("exercises").stdout, "a reset exercise is not started")

# A corrupt progress file is reported with its line and rebuilt from the workspace.
with open(PROGRESS, "w") as f:
    f.write('{\n  "exercises": {,\n')
result = descent("exercises")
check(result.returncode == 0 and "not valid JSON" in result.stderr and "line 2" in result.stderr and "rebuilding" in result.stderr, f"corrupt progress: {result.stderr}")
check(f"{len(exercises) - 1}/{len(exercises)} done" in result.stdout, f"rebuilt statuses: {result.stdout}")
check(json.load(open(PROGRESS))["exercises"][exercises[1][0]]["status"] == "done", "the rebuilt file is valid JSON with the grades")

# The quiz, with scripted answers: every right answer, after one unreadable one.
for folder in sorted(f for f in os.listdir(LESSONS) if f[:2].isdigit() and os.path.isdir(os.path.join(LESSONS, f))):
    quiz = json.load(open(os.path.join(LESSONS, folder, "quiz.json")))
    check(len(quiz["questions"]) >= 8, f"{folder}: at least eight quiz questions")
    answers = ["what?"]
    for question in quiz["questions"]:
        answers.append("abcdefgh"[question["answer"]] if "choices" in question else repr(question["answer"]))
    lesson = str(int(folder[:2]))
    result = descent("quiz", lesson, stdin="\n".join(answers) + "\n", cwd=home)
    total = len(quiz["questions"])
    check(result.returncode == 0 and f"Score: {total}/{total}" in result.stdout and "Please answer with" in result.stdout, f"quiz {lesson}: {result.stdout[-500:]}")
    check(json.load(open(PROGRESS))["quizzes"][lesson]["best"] == total, f"quiz {lesson} best score recorded")
wrong = descent("quiz", "1", stdin="a\n", cwd=home)
check("✗ the answer is" in wrong.stdout and "stopped after 1 question" in wrong.stdout, f"a wrong answer, then end of input: {wrong.stdout[-400:]}")
check(json.load(open(PROGRESS))["quizzes"]["1"]["best"] == 8, "an unfinished attempt keeps the best score")

# watch, through a pseudo-terminal: it shows the failing exercise, reveals a hint on h, lists on
# l, notices the saved solution, passes it and moves on; q quits.
_, folder, name = exercises[0]
child = pexpect.spawn(BINARY, ["watch"], cwd=WORKSPACE, env=ENV, encoding="utf-8", timeout=60, dimensions=(40, 120))
try:
    child.expect(f"1.1 {first_id}")
    child.expect("not yet")
    child.send("h")
    child.expect("Hint 1/3")
    child.send("l")
    child.expect(exercises[-1][0])
    time.sleep(0.3)
    shutil.copy(os.path.join(LESSONS, folder, "solutions", name), os.path.join(WORKSPACE, folder, name))
    child.expect("passed")
    child.expect("Every exercise passes")
    child.expect(pexpect.EOF)
    child.close()
    check(child.exitstatus == 0, f"watch exit status {child.exitstatus}")
except pexpect.exceptions.ExceptionPexpect as error:
    failures.append(f"watch: {type(error).__name__}: {child.before[-800:] if child.before else ''}")
descent("reset", exercises[1][0])
child = pexpect.spawn(BINARY, ["watch"], cwd=WORKSPACE, env=ENV, encoding="utf-8", timeout=60)
try:
    child.expect(exercises[1][0])
    child.expect("not yet")
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    check(child.exitstatus == 0, "watch quits on q")
except pexpect.exceptions.ExceptionPexpect as error:
    failures.append(f"watch q: {type(error).__name__}: {child.before[-800:] if child.before else ''}")

shutil.rmtree(home, ignore_errors=True)
print("\n".join(failures) if failures else "course: ok")
print(f"course: {'FAILED' if failures else 'passed'}")
sys.exit(1 if failures else 0)
