// Arena: per-batch storage for values a stage has to rewrite. Views into it stay valid until
// Reset(); blocks are kept for the next batch, so after warm-up nothing is allocated.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

namespace gongshi {

class Arena {
 public:
  explicit Arena(size_t block_bytes = 1 << 20) : block_bytes_(block_bytes) {}
  Arena(Arena&&) = default;
  Arena& operator=(Arena&&) = default;

  // Returns `n` writable bytes that stay put until Reset().
  char* Allocate(size_t n);
  std::string_view Copy(std::string_view text);
  // Forgets every allocation but keeps the blocks.
  void Reset() {
    current_ = 0;
    used_ = 0;
  }
  size_t bytes_reserved() const;

 private:
  struct Block {
    std::unique_ptr<char[]> data;
    size_t size;
  };
  size_t block_bytes_;
  std::vector<Block> blocks_;
  size_t current_ = 0;  // index of the block being filled
  size_t used_ = 0;     // bytes used in blocks_[current_]
};

}  // namespace gongshi
