#include <gtest/gtest.h>

#include <filesystem>

#include "core/error.hpp"
#include "core/file_io.hpp"

namespace bitforge {
namespace {

namespace fs = std::filesystem;

class FileIo : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("bitforge_file_io_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::size_t entries() const {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()));
  }
  fs::path dir_;
};

TEST_F(FileIo, AtomicWriteCreatesAndReplacesLeavingNoTemporaries) {
  const std::string path = (dir_ / "out.bin").string();
  write_file_atomically(path, "first");
  write_file_atomically(path, "second");
  EXPECT_EQ(read_file(path), "second");
  EXPECT_EQ(entries(), 1u);
}

TEST_F(FileIo, FailedWriteLeavesNothingBehind) {
  EXPECT_THROW(write_file_atomically((dir_ / "missing" / "out.bin").string(), "x"), Error);
  fs::create_directories(dir_ / "a_directory");
  EXPECT_THROW(write_file_atomically((dir_ / "a_directory").string(), "x"), Error);
  EXPECT_EQ(entries(), 1u) << "only a_directory remains";
}

TEST_F(FileIo, ReadRefusesMissingFilesAndDirectories) {
  EXPECT_THROW(read_file((dir_ / "nope").string()), Error);
  EXPECT_THROW(read_file(dir_.string()), Error);
}

}  // namespace
}  // namespace bitforge
