// Swift cannot call C variadic functions, so every el_set/el_get/history call the REPL needs is
// wrapped here in a fixed-arity inline function.
#ifndef DESCENT_CEDITLINE_SHIM_H
#define DESCENT_CEDITLINE_SHIM_H

#include <stdio.h>
#include <histedit.h>

typedef char *(*cel_prompt_fn)(EditLine *);
typedef unsigned char (*cel_command_fn)(EditLine *, int);

// el_init takes FILE pointers; Swift 6 rejects Glibc's stdin/stdout globals, so they are named here.
static inline EditLine *cel_init(const char *program) {
    return el_init(program, stdin, stdout, stderr);
}

static inline int cel_set_prompt(EditLine *el, cel_prompt_fn fn) {
    // '\1' brackets invisible characters (colour escapes) in the prompt so cursor maths stays right.
    return el_set(el, EL_PROMPT_ESC, fn, '\1');
}

static inline int cel_set_editor(EditLine *el, const char *mode) { return el_set(el, EL_EDITOR, mode); }
static inline int cel_set_signal(EditLine *el, int on) { return el_set(el, EL_SIGNAL, on); }

static inline int cel_set_clientdata(EditLine *el, void *data) { return el_set(el, EL_CLIENTDATA, data); }
static inline void *cel_get_clientdata(EditLine *el) {
    void *data = NULL;
    el_get(el, EL_CLIENTDATA, &data);
    return data;
}

static inline int cel_add_function(EditLine *el, const char *name, const char *help, cel_command_fn fn) {
    return el_set(el, EL_ADDFN, name, help, fn);
}

static inline int cel_bind(EditLine *el, const char *key, const char *function) {
    return el_set(el, EL_BIND, key, function, NULL);
}

static inline int cel_set_history(EditLine *el, History *h) { return el_set(el, EL_HIST, history, h); }

static inline History *cel_history_init(int size) {
    History *h = history_init();
    HistEvent ev;
    history(h, &ev, H_SETSIZE, size);
    history(h, &ev, H_SETUNIQUE, 1);
    return h;
}

static inline int cel_history_enter(History *h, const char *line) {
    HistEvent ev;
    return history(h, &ev, H_ENTER, line);
}

static inline int cel_history_load(History *h, const char *path) {
    HistEvent ev;
    return history(h, &ev, H_LOAD, path);
}

static inline int cel_history_save(History *h, const char *path) {
    HistEvent ev;
    return history(h, &ev, H_SAVE, path);
}

// The text of the line being edited up to the cursor (not NUL-terminated: length in *length).
static inline const char *cel_line_before_cursor(EditLine *el, int *length) {
    const LineInfo *info = el_line(el);
    *length = (int)(info->cursor - info->buffer);
    return info->buffer;
}

#endif
