/* test_util.h — small helpers shared by the unit tests (header-only). */
#ifndef PODTUNE_TEST_UTIL_H
#define PODTUNE_TEST_UTIL_H

#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static int test_util__rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* Removes dir and everything below it (symlinks themselves, never their targets). */
static inline void test_rm_tree(const char *dir)
{
    chmod(dir, 0700); /* a test may have made it unreadable */
    nftw(dir, test_util__rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
