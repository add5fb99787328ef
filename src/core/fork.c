/*
 * fork.c — a forked child gets its own copy of CE memory.
 *
 * RAM and register files are memfds mapped MAP_SHARED, so without help a child made by fork()
 * (test frameworks that isolate cases, a driver that spawns) would share them with its parent:
 * its writes would appear in the parent, and the parent's next commit could hand out a frame
 * holding the child's data. The child must have a machine of its own.
 *
 * The fork handlers take every cevm lock in the one order the rest of the library uses (kernel
 * objects, heap, devices, machine, registry), so the state is consistent at the fork. In the
 * child, for every memfd backing: a new memfd of the same size receives the data of the old one
 * (only its data ranges, found with SEEK_DATA/SEEK_HOLE, so an untouched 128 MB bank costs
 * nothing), every mapping of the old memfd in the process (/proc/self/maps, matched by device
 * and inode: the window's views, the static windows, the private views) is replaced in place by
 * the same range of the new one, and the new descriptor takes the old one's number. Page tables,
 * frame counts and device state are ordinary memory, copied by fork itself. `file` devices stay
 * shared: they are the host's files (or hardware), as two processes opening /dev/mem share it.
 *
 * If the copy fails (the host refuses memory), the child's window is made inaccessible and its
 * machine refuses every call, so the child can never write the parent's memory.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "ce/heap.h"
#include "core/machine.h"
#include "proc/stack.h"
#include "registry/registry.h"

static void say(const char *s)
{
    ssize_t w = write(2, s, strlen(s));
    (void)w;
}

/* Copy the data ranges of the old backing (through its private view) into fd. */
static int copy_data(const struct phys_region *r, int fd)
{
    off_t size = (off_t)r->size, off = 0;
    while (off < size) {
        off_t data = lseek(r->fd, off, SEEK_DATA);
        if (data < 0 || data >= size)
            break; /* no more data (ENXIO) */
        off_t hole = lseek(r->fd, data, SEEK_HOLE);
        if (hole < 0 || hole > size)
            hole = size;
        for (off_t at = data; at < hole;) {
            ssize_t w = pwrite(fd, r->view + at, (size_t)(hole - at), at);
            if (w <= 0)
                return -1;
            at += w;
        }
        off = hole;
    }
    return 0;
}

/* Replace every mapping of the file (dev, ino) by the same range of fd. */
static int remap_views(dev_t dev, ino_t ino, int fd)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return -1;
    char line[512];
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        unsigned long long s, e, off, inode;
        unsigned maj, min;
        char perms[5];
        if (sscanf(line, "%llx-%llx %4s %llx %x:%x %llu", &s, &e, perms, &off, &maj, &min,
                   &inode) != 7)
            continue;
        if (inode != (unsigned long long)ino || maj != major(dev) || min != minor(dev))
            continue;
        int prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
                   (perms[2] == 'x' ? PROT_EXEC : 0); /* module and program code */
        void *at = (void *)(uintptr_t)s;
        if (mmap(at, (size_t)(e - s), prot, MAP_SHARED | MAP_FIXED, fd, (off_t)off) != at)
            rc = -1;
    }
    fclose(f);
    return rc;
}

/* Give the region a private copy of its memfd. Return: 0 or -1. */
static int copy_region(struct phys_region *r)
{
    struct stat st;
    if (fstat(r->fd, &st))
        return -1;
    char name[48];
    snprintf(name, sizeof name, "cevm-%s", r->name);
    int fd = memfd_create(name, MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    if (ftruncate(fd, st.st_size) || copy_data(r, fd) || remap_views(st.st_dev, st.st_ino, fd) ||
        dup3(fd, r->fd, O_CLOEXEC) < 0) {
        close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

/* The library's lock order: devices (an interrupt sets an event with the device lock held),
 * heap (its segments come from VirtualAlloc), machine (a boot starts the clock), registry,
 * objects. */
static void prepare(void)
{
    dev_lock();
    heap_fork_prepare();
    machine_lock();
    registry_fork_prepare();
    sync_fork_prepare();
}

static void parent(void)
{
    sync_fork_parent();
    registry_fork_parent();
    machine_unlock();
    heap_fork_parent();
    dev_unlock();
}

static void child(void)
{
    struct machine *m = g_machine;
    for (size_t i = 0; m && i < m->pm.n; i++) {
        struct phys_region *r = &m->pm.r[i];
        if (r->kind != REGION_RAM && r->kind != REGION_REGFILE)
            continue;
        if (copy_region(r)) {
            say("cevm: the forked child cannot have its own copy of CE memory (the host refused "
                "memory): its CE calls fail and its window is inaccessible\n");
            window_unmap(&m->win, IDENTITY_LOW, WINDOW_SIZE - IDENTITY_LOW);
            m->forked_without_memory = 1;
            break;
        }
    }
    registry_fork_child();
    machine_fork_child_lock();
    dev_fork_child();
    heap_fork_child();
    sync_fork_child();
    stack_fork_child();
}

static void install_once(void)
{
    pthread_atfork(prepare, parent, child);
}

void fork_hooks_install(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, install_once);
}
