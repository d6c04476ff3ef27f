// The calling thread's name and scheduling priority. fleetd's threads are named (top -H, ps -L and
// /proc show them: docs/operations.md, "Threads") and the ingestion writer, the serial stage every
// acknowledgement waits for, asks to run before the other threads when the cores are all busy.
#pragma once

namespace fleet::core {

// Names the calling thread; at most 15 characters are kept (the kernel's limit).
void NameThread(const char* name);

// Sets the calling thread's nice value (-20 first to 19 last; 0 is the default). Raising a thread's
// priority (a negative value) needs CAP_SYS_NICE (root has it); lowering it is always allowed. False
// when the system refuses: the thread then keeps the priority it had.
bool SetThreadNice(int nice);

}  // namespace fleet::core
