#include "core/thread.hpp"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace fleet::core {

void NameThread(const char* name) {
    char cut[16] = {};
    for (int i = 0; i < 15 && name[i] != '\0'; ++i) cut[i] = name[i];
    pthread_setname_np(pthread_self(), cut);
}

bool SetThreadNice(int nice) {
    // On Linux, PRIO_PROCESS with a thread id sets that thread's own nice value only.
    const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
    return ::setpriority(PRIO_PROCESS, tid, nice) == 0;
}

}  // namespace fleet::core
