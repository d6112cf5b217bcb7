#include "mmap.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <mutex>
#include <stdexcept>

namespace plexus {

struct MappingState {
  void* base;
  size_t length;
  int pins = 0;
  bool release_requested = false;  // close() was called
  bool finalized = false;          // the ArrayBuffer is gone
  bool unmapped = false;
};

namespace {
std::mutex g_mutex;
std::map<uintptr_t, MappingState*> g_live;  // by base address, only while mapped

void unmap_locked(MappingState* s) {
  if (!s->unmapped) {
    munmap(s->base, s->length);
    g_live.erase(reinterpret_cast<uintptr_t>(s->base));
    s->unmapped = true;
  }
}

void maybe_free_locked(MappingState* s) {
  if (s->unmapped && s->finalized && s->pins == 0) delete s;
}
}  // namespace

Mapping map_file_readonly(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("mapFile: cannot open '" + path + "': " + std::strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    const int e = errno;
    close(fd);
    throw std::runtime_error("mapFile: cannot stat '" + path + "': " + std::strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    throw std::runtime_error("mapFile: '" + path + "' is not a regular file");
  }
  Mapping m;
  m.length = size_t(st.st_size);
  if (m.length == 0) { close(fd); return m; }
  void* p = mmap(nullptr, m.length, PROT_READ, MAP_PRIVATE, fd, 0);
  const int e = errno;
  close(fd);  // the mapping keeps the file referenced
  if (p == MAP_FAILED) throw std::runtime_error("mapFile: mmap of '" + path + "' failed: " + std::strerror(e));
  m.base = p;
  return m;
}

MappingState* register_mapping(Mapping m) {
  auto* s = new MappingState{m.base, m.length};
  std::lock_guard<std::mutex> lk(g_mutex);
  g_live[reinterpret_cast<uintptr_t>(m.base)] = s;
  return s;
}

bool release_mapping(void* base) {
  std::lock_guard<std::mutex> lk(g_mutex);
  auto it = g_live.find(reinterpret_cast<uintptr_t>(base));
  if (it == g_live.end()) return false;
  MappingState* s = it->second;
  s->release_requested = true;
  if (s->pins == 0) unmap_locked(s);
  return true;
}

void finalize_mapping(MappingState* s) {
  std::lock_guard<std::mutex> lk(g_mutex);
  s->finalized = true;
  if (s->pins == 0) unmap_locked(s);
  maybe_free_locked(s);
}

MappingState* pin_mapping_containing(const void* p, size_t n) {
  std::lock_guard<std::mutex> lk(g_mutex);
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  auto it = g_live.upper_bound(a);
  if (it == g_live.begin()) return nullptr;
  --it;
  MappingState* s = it->second;
  if (a + n > it->first + s->length) return nullptr;
  s->pins++;
  return s;
}

void unpin_mapping(MappingState* s) {
  std::lock_guard<std::mutex> lk(g_mutex);
  if (--s->pins == 0 && (s->release_requested || s->finalized)) unmap_locked(s);
  maybe_free_locked(s);
}

}  // namespace plexus
