#!/usr/bin/env python3
"""REPL tests through a real pseudo-terminal (pexpect), as a learner would type.

Usage: test_repl.py PATH/TO/descent
Each test starts `descent` with a fresh HOME (history, ~/.editrc), TERM=xterm and LANG=C.UTF-8,
waits for the prompt before typing, and matches what the program prints, never the line being
edited (libedit redraws it with cursor escapes). See ../shared/notes/libedit-and-fuzzing.md.
"""
import json
import os
import re
import shutil
import sys
import tempfile
import time
import traceback

import pexpect

BINARY = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/debug/descent")
TIMEOUT = 10
CONTINUATION = re.compile(r"\.\.\.:(?:\x1b\[[0-9;]*m)? ")
# The prompt, coloured or not: "In [3]:" then (after a colour reset) a space.
PROMPT = re.compile(r"In \[(\d+)\]:(?:\x1b\[[0-9;]*m)? ")


def start(home, **extra_env):
    env = dict(os.environ, HOME=home, TERM="xterm", LANG="C.UTF-8", **extra_env)
    if "NO_COLOR" not in extra_env:
        env.pop("NO_COLOR", None)
    child = pexpect.spawn(BINARY, env=env, encoding="utf-8", timeout=TIMEOUT, dimensions=(40, 120))
    child.expect(PROMPT)
    return child


def plain(text):
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|[\x01\r]", "", text)


def run_cell(child, line):
    """Types a line, presses Enter, returns the (escape-free) output up to the next prompt."""
    child.sendline(line)
    child.expect(PROMPT)
    return plain(child.before)


def press(child, typed, key, then=""):
    """Types `typed`, presses `key` (Tab, an arrow...), types `then`, Enter; returns the output."""
    child.send(typed)
    child.send(key)
    time.sleep(0.2)
    child.send(then + "\r")
    child.expect(PROMPT)
    return plain(child.before)


TAB, UP = "\t", "\x1b[A"


class Session:
    def __enter__(self):
        self.home = tempfile.mkdtemp(prefix="descent-repl-")
        self.child = start(self.home)
        return self

    def restart(self):
        self.quit()
        self.child = start(self.home)

    def quit(self):
        if self.child.isalive():
            self.child.sendcontrol("d")
            self.child.expect(pexpect.EOF)
        self.child.close()

    def __exit__(self, *exc):
        try:
            self.quit()
        finally:
            shutil.rmtree(self.home, ignore_errors=True)


def test_expression_shows_numbered_output():
    with Session() as s:
        out = run_cell(s.child, "1 + 2")
        assert "Out[1]: 3" in out, out
        out = run_cell(s.child, "_ * 10")
        assert "Out[2]: 30" in out, out


def test_let_shows_nothing_and_variables_persist():
    with Session() as s:
        out = run_cell(s.child, "let lr = 0.1")
        assert "Out" not in out, out
        assert "Out[2]: 0.2" in run_cell(s.child, "lr * 2")


def test_tab_completes_builtin_name():
    with Session() as s:
        assert "Out[1]: 4" in press(s.child, "sqr", TAB, "(16)")


def test_tab_completes_record_field_after_dot():
    with Session() as s:
        run_cell(s.child, "let cfg = {learning_rate: 0.5, momentum: 0.9}")
        assert "Out[2]: 0.5" in press(s.child, "cfg.lea", TAB)


def test_tab_completes_named_argument():
    with Session() as s:
        assert "Out[1]: 2.67" in press(s.child, "round(2.675, dig", TAB, " 2)")


def test_tab_completes_user_variable_and_command():
    with Session() as s:
        run_cell(s.child, "let momentum_value = 7")
        assert "Out[2]: 8" in press(s.child, "momentum_v", TAB, " + 1")
        assert "momentum_value" in press(s.child, ":va", TAB)


def test_up_arrow_recalls_history():
    with Session() as s:
        run_cell(s.child, "40 + 2")
        assert "Out[2]: 42" in press(s.child, "", UP)


def test_multiline_function_uses_continuation_prompt():
    with Session() as s:
        s.child.sendline("fn square(x) {")
        s.child.expect(CONTINUATION)
        s.child.sendline("x * x")
        s.child.expect(CONTINUATION)
        s.child.sendline("}")
        s.child.expect(PROMPT)
        assert "Out[2]: 49" in run_cell(s.child, "square(7)")


def test_blank_line_ends_an_unfinished_cell_with_an_error():
    with Session() as s:
        s.child.sendline("print(1,")
        s.child.expect(CONTINUATION)
        out = run_cell(s.child, "")
        assert "error:" in out, out


def test_ctrl_c_interrupts_a_loop_and_keeps_state():
    with Session() as s:
        run_cell(s.child, "let i = 0")
        s.child.sendline("while true { i += 1 }")
        time.sleep(0.5)
        started = time.time()
        s.child.sendintr()
        s.child.expect(PROMPT)
        assert time.time() - started < 2, "interrupt took too long"
        out = plain(s.child.before)
        assert "interrupted" in out and "while true" in out, out
        assert "true" in run_cell(s.child, "i > 0")


def test_ctrl_c_interrupts_a_long_recursive_call():
    with Session() as s:
        s.child.sendline("fn fib(n) { if n < 2 { n } else { fib(n - 1) + fib(n - 2) } }")
        s.child.expect(PROMPT)
        s.child.sendline("fib(45)")
        time.sleep(0.5)
        s.child.sendintr()
        s.child.expect(PROMPT)
        out = plain(s.child.before)
        assert "interrupted" in out and "in fib()" in out, out
        assert "Out" in run_cell(s.child, "fib(10)")


def test_ctrl_c_at_prompt_clears_the_line():
    with Session() as s:
        s.child.send("this is not code")
        time.sleep(0.2)
        s.child.sendintr()
        s.child.expect(PROMPT)
        out = run_cell(s.child, "5")
        assert "Out[1]: 5" in out, out


def test_ctrl_d_exits_cleanly():
    with Session() as s:
        s.child.sendcontrol("d")
        s.child.expect(pexpect.EOF)
        s.child.close()
        assert s.child.exitstatus == 0


def test_history_persists_across_sessions():
    with Session() as s:
        run_cell(s.child, "1000 + 337")
        s.restart()
        assert "1337" in press(s.child, "", UP)
        assert os.path.exists(os.path.join(s.home, ".descent_history"))


def test_errors_are_located_diagnostics_and_session_survives():
    with Session() as s:
        out = run_cell(s.child, "let xs = [1]; xs + 1")
        assert "In[1]:1:18: error: cannot add list and number" in out, out
        assert "~~~^~~" in out, out
        assert "Out[2]: [1]" in run_cell(s.child, "xs")


def test_tensors_show_aligned_on_their_own_line_and_complete():
    with Session() as s:
        out = run_cell(s.child, "tensor([[1, 2], [3, 40]])")
        assert "Out[1]:\ntensor([[ 1,  2],\n        [ 3, 40]])" in out.replace("\r", ""), repr(out)
        assert "Out[2]: tensor([2, 4])" in press(s.child, "grad(fn(v) => sum(v * v))(tensor([1, 2", "", "]))")
        assert "Out[3]: [2, 3]" in press(s.child, "shape(resh", TAB, "(arange(6), [2, 3]))")
        out = run_cell(s.child, "ones([2]) + ones([3])")
        assert "error: cannot broadcast shapes [2] and [3] in '+'" in out, out
        assert "Out[5]: 2" in run_cell(s.child, "len(ones([2, 5]))")


def test_ctrl_c_stops_training_and_returns_the_history():
    with Session() as s:
        run_cell(s.child, "let X, Y = make_linear(4096, w: [1, 2], seed: 0)")
        s.child.sendline("let h = train(fn(p, X, Y) => mse(X @ p, Y), zeros([2, 1]), [X, Y], opt: \"sgd\", lr: 0.01, epochs: 100000, batch_size: 1)")
        s.child.expect("epoch", timeout=TIMEOUT)
        time.sleep(0.5)
        s.child.sendintr()
        s.child.expect(PROMPT, timeout=TIMEOUT)
        assert "interrupted after" in plain(s.child.before), plain(s.child.before)
        assert "Out[3]: true" in run_cell(s.child, "h.interrupted")


def test_ctrl_c_stops_a_parallel_search_and_keeps_finished_trials():
    with Session() as s:
        run_cell(s.child, "fn slow(c) { let t = time(); while time() - t < 0.2 { } ; c.x }")
        s.child.sendline("let r = random_search(slow, {x: uniform(0, 1)}, trials: 200, seed: 0, workers: 2)")
        time.sleep(1.5)
        s.child.sendintr()
        s.child.expect(PROMPT, timeout=TIMEOUT)
        out = run_cell(s.child, "[r.interrupted, len(r.trials) > 0, len(r.trials) < 200]")
        assert "Out[3]: [true, true, true]" in out, out
        assert "Out[4]: 3" in run_cell(s.child, "1 + 2")


def test_lesson_walks_cells_explores_and_quits():
    home = tempfile.mkdtemp(prefix="descent-lesson-")
    sample = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Notebooks", "sample.dsc")
    env = dict(os.environ, HOME=home, TERM="xterm", LANG="C.UTF-8", XDG_DATA_HOME=home)
    child = pexpect.spawn(BINARY, ["lesson", sample], env=env, encoding="utf-8", timeout=TIMEOUT, dimensions=(40, 120))
    try:
        child.expect("A sample notebook")
        child.expect("a learning rate")
        child.expect("print\\(\"lr is\", lr\\)")
        child.send("\r")
        child.expect("lr is 0.1")
        child.expect("squares")
        child.send("e")
        child.expect(PROMPT)
        child.sendline("lr * 3")
        child.expect(r"Out\[1\]:(?:\x1b\[[0-9;]*m)? 0\.30000000000000004")
        child.expect(PROMPT)
        child.sendcontrol("d")
        child.expect("back in the lesson")
        child.send("q")
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0, child.exitstatus
        progress = json.load(open(os.path.join(home, "descent", "progress.json")))
        assert progress["lessons"]["sample.dsc"] >= 2, progress
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_commands_help_vars_time_reset():
    with Session() as s:
        assert ":vars" in run_cell(s.child, ":help")
        assert "sqrt(x)" in run_cell(s.child, ":help sqrt")
        run_cell(s.child, "let lr = 0.25")
        out = run_cell(s.child, ":vars")
        assert re.search(r"lr\s+number\s+0.25", out), out
        out = run_cell(s.child, ":time sum(range(1000))")
        assert "499500" in out and "time:" in out, out
        assert "reset" in run_cell(s.child, ":reset")
        assert "undefined variable 'lr'" in run_cell(s.child, "lr")
        assert "unknown command" in run_cell(s.child, ":nope")


def test_seed_command_reruns_the_random_numbers():
    """:seed N is --seed N for the session: seed(k) and the session stream mix N in, :reset keeps it."""
    with Session() as s:
        assert "run seed 0 (the default)" in run_cell(s.child, ":seed")
        default = re.search(r"Out\[\d+\]: (.*)", run_cell(s.child, "seed(1); rand([2])")).group(1)
        assert "run seed 7" in run_cell(s.child, ":seed 7")
        seeded = re.search(r"Out\[\d+\]: (.*)", run_cell(s.child, "seed(1); rand([2])")).group(1)
        assert seeded != default, (seeded, default)
        run_cell(s.child, ":reset")
        assert "run seed 7" in run_cell(s.child, ":seed")
        assert seeded in run_cell(s.child, "seed(1); rand([2])")
        run_cell(s.child, ":seed 0")
        assert default in run_cell(s.child, "seed(1); rand([2])")
        assert "usage: :seed N" in run_cell(s.child, ":seed -3")


def test_save_and_load_round_trip():
    with Session() as s:
        script = os.path.join(s.home, "session.dsc")
        run_cell(s.child, "let base = 40")
        run_cell(s.child, "fn answer() { base + 2 }")
        run_cell(s.child, "nope + 1")
        assert "saved 2 cells" in run_cell(s.child, f":save {script}")
        assert "nope" not in open(script).read()
        run_cell(s.child, ":reset")
        assert "loaded" in run_cell(s.child, f":load {script}")
        assert "42" in run_cell(s.child, "answer()")


def test_tab_completes_file_paths_after_load():
    with Session() as s:
        folder = os.path.join(s.home, "scripts")
        os.makedirs(folder)
        with open(os.path.join(folder, "warmup_lesson.dsc"), "w") as f:
            f.write("let warm = 99\n")
        out = press(s.child, f":load {folder}/warm", TAB)
        assert "loaded" in out, out
        assert "99" in run_cell(s.child, "warm")


def test_print_output_and_unicode_input():
    with Session() as s:
        out = run_cell(s.child, 'let η = 0.5; print("η =", η)')
        assert "η = 0.5" in out, out


def test_prompt_colour_is_reset_before_what_is_typed():
    with Session() as s:
        s.child.sendline("1")
        s.child.expect(PROMPT)
        prompt = s.child.after
        assert "\x1b[" in prompt and prompt.endswith("m "), repr(prompt)


def test_no_color_gives_a_plain_prompt():
    home = tempfile.mkdtemp(prefix="descent-repl-")
    try:
        child = start(home, NO_COLOR="1")
        child.sendline("nil + 1")
        child.expect(PROMPT)
        assert "\x1b[3" not in child.before and "\x1b[1" not in child.before, repr(child.before)
        assert child.after == "In [2]: "
        child.sendcontrol("d")
        child.expect(pexpect.EOF)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def main():
    tests = [(name, f) for name, f in globals().items() if name.startswith("test_") and callable(f)]
    passed = failed = 0
    for name, test in tests:
        try:
            test()
            passed += 1
            print(f"ok   {name}")
        except Exception:
            failed += 1
            print(f"FAIL {name}")
            traceback.print_exc()
    print(f"REPL: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
