// alloc_counter.hpp: counts the heap allocations of the program, to prove that a training
// step in the steady state allocates nothing (NOTES.md, "Memory").
//
// Linked into the lesson's program and tests only (CMakeLists.txt), never into the library:
// the link wraps malloc, calloc, realloc, aligned_alloc and posix_memalign of every object
// linked statically (our code, and Eigen's aligned_malloc, which is inline in it) with the
// linker's --wrap, and alloc_counter.cpp replaces the global operator new, whose every form
// calls the wrapped malloc. So an allocation by Eigen, by std::vector or by std::string is
// counted once. It works under AddressSanitizer too (the wrapped calls reach ASan's malloc).
#pragma once

#include <cstdint>

namespace alloc_counter {

// Heap allocations made by the program so far.
std::uint64_t allocations();

}  // namespace alloc_counter
