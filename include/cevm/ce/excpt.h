/*
 * excpt.h (cevm CE compatibility) — structured exception handling for C and C++ built with the
 * host compiler: __try / __except (filter) / __finally / __leave, GetExceptionCode(),
 * GetExceptionInformation(), AbnormalTermination(), and RaiseException (winbase.h).
 *
 * How it works. __try pushes a frame on this thread's chain and setjmp()s into it; the body runs
 * in an ordinary block (so break, continue and return in it reach the code around the __try, as
 * with MSVC). An exception — an access violation, divide by zero, RaiseException ... — is
 * dispatched by cevm in CE's two passes: the filters are evaluated from the innermost frame
 * outwards until one returns EXCEPTION_EXECUTE_HANDLER, then the __finally blocks inside that
 * frame run innermost first, then its handler. Each filter runs in its own function's frame (cevm
 * jumps there and keeps a copy of the stack below it), so EXCEPTION_CONTINUE_EXECUTION resumes
 * the faulting instruction with every register as it was (and any change the filter made to
 * the CONTEXT). docs/porting.md lists what differs from MSVC: a return, break, continue or goto
 * that leaves a __try body guarded by __finally does not run the __finally block (cevm reports
 * it each time: __finally marks its __try in the section cevm_seh_finally); a longjmp out of a
 * __try body leaves its frame behind (reported, then dropped); C++ destructors of objects in the
 * frames an exception unwinds do not run.
 *
 * The names below starting with cevm_seh_ are the macros' helpers, not for direct use.
 */
#ifndef CEVM_CE_EXCPT_H
#define CEVM_CE_EXCPT_H

#include <setjmp.h>

#include "winnt.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef CEVM_CE_API
#define CEVM_CE_API __attribute__((visibility("default")))
#endif

/* One __try in the source (static): __finally marks it in section cevm_seh_finally. */
struct cevm_seh_site {
    const char *file;
    int line;
    int kind; /* learnt: 0 unknown, 1 __except, 2 __finally */
};
struct cevm_seh_scope {
    void *frame;
    struct cevm_seh_site *site;
};
struct cevm_seh_fin {
    int run;
    int abnormal;
};

CEVM_CE_API jmp_buf *cevm_seh_push(const char *file, int line, void *frame_address);
CEVM_CE_API struct cevm_seh_scope cevm_seh_scope_enter(struct cevm_seh_site *site);
CEVM_CE_API void cevm_seh_scope_exit(struct cevm_seh_scope *s);
CEVM_CE_API void cevm_seh_body_end(struct cevm_seh_scope *s, int finally);
CEVM_CE_API int cevm_seh_handler_turn(void);
CEVM_CE_API int cevm_seh_filter(long disposition);
CEVM_CE_API struct cevm_seh_fin cevm_seh_finally_enter(void);
CEVM_CE_API void cevm_seh_finally_exit(struct cevm_seh_fin *f);
CEVM_CE_API DWORD cevm_seh_code(void);
CEVM_CE_API PEXCEPTION_POINTERS cevm_seh_info(void);

/* Valid in a filter expression and in its handler (CE allows the code in both). */
#define GetExceptionCode()        cevm_seh_code()
#define GetExceptionInformation() cevm_seh_info()
#define _exception_code()         cevm_seh_code()
#define _exception_info()         cevm_seh_info()
/* Valid in a __finally block: nonzero when it runs because an exception unwinds the body. */
#define AbnormalTermination()   (__seh_f.abnormal)
#define _abnormal_termination() (__seh_f.abnormal)

/* Nested __try blocks declare the same hidden names: not a shadowing mistake. */
#define CEVM_SEH_NOSHADOW_BEGIN                                                                    \
    _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wshadow\"")
#define CEVM_SEH_NOSHADOW_END _Pragma("GCC diagnostic pop")

#define CEVM_SEH_CAT_(a, b) a##b
#define CEVM_SEH_CAT(a, b)  CEVM_SEH_CAT_(a, b)

#ifdef __cplusplus
/* libstdc++ defines __try for its own use; CE code means the SEH keyword. */
#undef __try
#undef __finally
#undef __except
#undef __leave
#endif

/* Not reformatted: clang-format reads __try and __except as keywords. */
// clang-format off
#define __try \
    if (!setjmp(*cevm_seh_push(__FILE__, __LINE__, __builtin_frame_address(0)))) { \
        __label__ __seh_leave; \
        CEVM_SEH_NOSHADOW_BEGIN \
        static struct cevm_seh_site __seh_site = {__FILE__, __LINE__, 0}; \
        struct cevm_seh_scope __seh_scope __attribute__((cleanup(cevm_seh_scope_exit))) = \
            cevm_seh_scope_enter(&__seh_site); \
        CEVM_SEH_NOSHADOW_END

#define __except(...) \
        __seh_leave: __attribute__((unused)); \
        cevm_seh_body_end(&__seh_scope, 0); \
    } else if (cevm_seh_handler_turn() || cevm_seh_filter((long)(__VA_ARGS__)))

#define CEVM_SEH_FINALLY_(label) \
        CEVM_SEH_NOSHADOW_BEGIN \
        static struct cevm_seh_site *const __seh_finally_mark \
            __attribute__((used, unused, section("cevm_seh_finally"))) = &__seh_site; \
        CEVM_SEH_NOSHADOW_END \
        __seh_leave: __attribute__((unused)); \
        cevm_seh_body_end(&__seh_scope, 1); \
        goto label; \
    } else label: \
        CEVM_SEH_NOSHADOW_BEGIN \
        for (struct cevm_seh_fin __seh_f = cevm_seh_finally_enter(); __seh_f.run; \
             cevm_seh_finally_exit(&__seh_f)) \
        CEVM_SEH_NOSHADOW_END

#define __finally CEVM_SEH_FINALLY_(CEVM_SEH_CAT(__seh_finally_, __COUNTER__))

#define __leave goto __seh_leave
// clang-format on

#ifdef __cplusplus
}
#endif

#endif
