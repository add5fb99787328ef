/*
 * demo.c — a short CE-style program: reserve, commit, protect, query, alias and free memory on
 * the default board, printing what each call returned. Plain CE code (windows.h) plus two native
 * cevm helpers: the name of an error code, and a look at the physical address behind a page.
 *
 * Run it with `make demo`.
 */
#include <stdio.h>
#include <windows.h>

#include <cevm/cevm.h>

static DWORD ce(const void *p)
{
    return cevm_ce_addr(p);
}

static void result(const char *call, const void *p)
{
    if (p)
        printf("  %-58s -> 0x%08X\n", call, ce(p));
    else
        printf("  %-58s -> NULL, GetLastError = %s (%u)\n", call,
               cevm_ce_error_name(GetLastError()), GetLastError());
}

static void ok(const char *call, BOOL b)
{
    if (b)
        printf("  %-58s -> TRUE\n", call);
    else
        printf("  %-58s -> FALSE, GetLastError = %s (%u)\n", call,
               cevm_ce_error_name(GetLastError()), GetLastError());
}

static const char *state_name(DWORD s)
{
    return s == MEM_COMMIT ? "MEM_COMMIT" : s == MEM_RESERVE ? "MEM_RESERVE" : "MEM_FREE";
}

static void query(const char *what, const void *p)
{
    MEMORY_BASIC_INFORMATION mbi;
    if (!VirtualQuery(p, &mbi, sizeof mbi)) {
        printf("  VirtualQuery(%s) failed: %u\n", what, GetLastError());
        return;
    }
    printf("  VirtualQuery(%-10s) base 0x%08X  alloc 0x%08X  size 0x%05X  %-11s protect 0x%03X\n",
           what, ce(mbi.BaseAddress), mbi.AllocationBase ? ce(mbi.AllocationBase) : 0,
           mbi.RegionSize, state_name(mbi.State), mbi.Protect);
}

int main(void)
{
    cevm_info info;
    if (cevm_get_info(&info) != CEVM_OK)
        return 78; /* no machine (the reason was printed): EX_CONFIG */
    printf("cevm demo: board %s, profile %s, %s window\n\n", info.board_name, info.profile,
           cevm_window_name(info.window));

    printf("1. Reserve 12 KB (64 KB-aligned, in the process slot; shown slot-0-relative):\n");
    BYTE *p = VirtualAlloc(NULL, 0x3000, MEM_RESERVE, PAGE_NOACCESS);
    result("VirtualAlloc(NULL, 0x3000, MEM_RESERVE, PAGE_NOACCESS)", p);
    query("p", p);

    printf("\n2. Commit one page in the middle (the address is rounded down to the page):\n");
    BYTE *c = VirtualAlloc(p + 0x1234, 0x10, MEM_COMMIT, PAGE_READWRITE);
    result("VirtualAlloc(p+0x1234, 0x10, MEM_COMMIT, PAGE_READWRITE)", c);
    query("p", p);
    query("p+0x1000", p + 0x1000);
    printf("  committed memory reads as zero: *(DWORD *)(p+0x1000) = %u\n", *(DWORD *)c);

    printf("\n3. A commit that runs past the end of the reservation fails:\n");
    result("VirtualAlloc(p+0x2000, 0x2000, MEM_COMMIT, PAGE_READWRITE)",
           VirtualAlloc(p + 0x2000, 0x2000, MEM_COMMIT, PAGE_READWRITE));

    printf("\n4. The page is a RAM frame, also visible through the static windows:\n");
    *(DWORD *)c = 0xC0FFEE;
    uint64_t pa = 0;
    cevm_virt_to_phys(ce(c), &pa);
    DWORD cached = 0x80000000u + (DWORD)(pa - 0x50000000u);
    printf("  physical address of p+0x1000 = 0x%08llX\n", (unsigned long long)pa);
    printf("  cached window   0x%08X reads 0x%X\n", cached,
           *(volatile DWORD *)cevm_host_ptr(cached));
    printf("  uncached window 0x%08X reads 0x%X\n", cached | 0x20000000u,
           *(volatile DWORD *)cevm_host_ptr(cached | 0x20000000u));
    printf("  slot alias      0x%08X reads 0x%X\n", ce(c) | ((info.current_process + 1) << 25),
           *(volatile DWORD *)cevm_host_ptr(ce(c) | ((info.current_process + 1) << 25)));

    printf("\n5. Make it read-only, then try WRITECOPY:\n");
    DWORD old = 0;
    ok("VirtualProtect(p+0x1000, 0x1000, PAGE_READONLY, &old)",
       VirtualProtect(c, 0x1000, PAGE_READONLY, &old));
    printf("  old protection = 0x%X (PAGE_READWRITE)\n", old);
    query("p+0x1000", c);
    ok("VirtualProtect(p+0x1000, 0x1000, PAGE_WRITECOPY, &old)",
       VirtualProtect(c, 0x1000, PAGE_WRITECOPY, &old));

    printf("\n6. Free: release needs size 0 and the base, and a fully reserved or committed "
           "region:\n");
    ok("VirtualFree(p, 0x1000, MEM_RELEASE)", VirtualFree(p, 0x1000, MEM_RELEASE));
    ok("VirtualFree(p, 0, MEM_RELEASE)  [partly committed]", VirtualFree(p, 0, MEM_RELEASE));
    ok("VirtualFree(p+0x1000, 0x1000, MEM_DECOMMIT)", VirtualFree(c, 0x1000, MEM_DECOMMIT));
    ok("VirtualFree(p, 0, MEM_RELEASE)", VirtualFree(p, 0, MEM_RELEASE));
    query("p", p);

    printf("\n7. Above 2 MB, a NULL MEM_RESERVE/PAGE_NOACCESS goes to the large area:\n");
    void *small = VirtualAlloc(NULL, 0x1FF000, MEM_RESERVE, PAGE_NOACCESS);
    void *huge = VirtualAlloc(NULL, 0x1FF001, MEM_RESERVE, PAGE_NOACCESS);
    result("VirtualAlloc(NULL, 0x1FF000, MEM_RESERVE, PAGE_NOACCESS)", small);
    result("VirtualAlloc(NULL, 0x1FF001, MEM_RESERVE, PAGE_NOACCESS)", huge);
    result("VirtualAlloc(NULL, 0x2000000, MEM_RESERVE|MEM_COMMIT, ...)",
           VirtualAlloc(NULL, 0x2000000, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE));
    ok("VirtualFree(huge, 0, MEM_RELEASE)", VirtualFree(huge, 0, MEM_RELEASE));
    ok("VirtualFree(small, 0, MEM_RELEASE)", VirtualFree(small, 0, MEM_RELEASE));

    SYSTEM_INFO si;
    GetSystemInfo(&si);
    printf("\n8. GetSystemInfo: page size 0x%X, allocation granularity 0x%X\n", si.dwPageSize,
           si.dwAllocationGranularity);
    return 0;
}
