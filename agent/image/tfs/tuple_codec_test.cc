#include "agent/image/tfs/tuple_codec.h"

#include <string>

#include "absl/strings/escaping.h"
#include "agent/image/tfs/tfs_format.h"
#include "agent/image/tfs/tuple_text.h"
#include "gtest/gtest.h"

namespace nanoplane::image {
namespace {

std::string Hex(const std::string& s) { return absl::BytesToHexString(s); }

TEST(TupleCodecTest, VarintIsBigEndianBase128) {
  std::string out;
  AppendVarint(0, &out);
  AppendVarint(5, &out);
  AppendVarint(1024, &out);
  AppendVarint(3073, &out);
  EXPECT_EQ(Hex(out),
            "0005"
            "8800"
            "9801");
  ByteCursor in(out);
  for (uint64_t want : {0, 5, 1024, 3073}) {
    absl::StatusOr<uint64_t> got = in.Varint();
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(*got, want);
  }
}

TEST(TupleCodecTest, HeadersMatchNanosBytes) {
  std::string out;
  AppendValueHeader(true, kTypeTuple, 4, &out);    // 0x94
  AppendValueHeader(true, kTypeBuffer, 8, &out);   // 0x88 0x08 ("children")
  AppendValueHeader(false, kTypeBuffer, 2, &out);  // 0x02
  AppendValueHeader(true, kTypeString, 7, &out);   // 0xc7
  AppendValueHeader(true, kTypeString, 1000, &out);
  EXPECT_EQ(Hex(out),
            "94"
            "8808"
            "02"
            "c7"
            "cf68");  // 1000 = 0b111_1101000
}

// The root entry written by Nanos's own mkfs for
//   (children:(bin:(children:(f1:(contents:...) ln:(linktarget:f1))) f2:(...) e:(...))
//    program:/bin/f1 arguments:[f1 "a b"] environment:(A:B))
constexpr char kMkfsRootEntry[] =
    "9488086368696c6472656e938362696e910292826c6e91880a6c696e6b746172676574c266318266319082"
    "6632908165908770726f6772616dc72f62696e2f6631880b656e7669726f6e6d656e74918141c1428809"
    "617267756d656e7473a2c26631c3612062";

TEST(TupleCodecTest, DecodesMkfsOutput) {
  TupleDecoder decoder;
  ASSERT_TRUE(decoder.DecodeEntry(absl::HexStringToBytes(kMkfsRootEntry), false).ok());
  absl::StatusOr<Tuple> root = decoder.Root();
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_EQ(FormatTuple(*root),
            "(arguments:[f1 \"a b\"] "
            "children:(bin:(children:(f1:() ln:(linktarget:f1))) e:() f2:()) "
            "environment:(A:B) program:/bin/f1)");
}

TEST(TupleCodecTest, RoundTripsAllKindsAcrossEntries) {
  Tuple first{{"children", Tuple{{"a", Tuple{{"filelength", Value::Integer(1ull << 40)}}}}},
              {"v", std::vector<Value>{"x", Value::Integer(3, true), Value::Null(), Tuple{}}},
              {"children2", Tuple{{"children", "again"}}}};
  TupleEncoder encoder;
  std::string e1;
  encoder.EncodeEntry(first, &e1);
  std::string e2;
  encoder.EncodeEntry(Tuple{{"children", "unrelated"}}, &e2);  // Reuses the name.
  EXPECT_EQ(e2.find("children"), std::string::npos);

  TupleDecoder decoder;
  ASSERT_TRUE(decoder.DecodeEntry(e1, false).ok());
  ASSERT_TRUE(decoder.DecodeEntry(e2, false).ok());
  absl::StatusOr<Tuple> root = decoder.Root();
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_EQ(*root, first);
}

TEST(TupleCodecTest, LaterEntriesUpdateEarlierTuples) {
  // Entry 1: root (index 1) with name "a" (2) -> "x"; entry 2: reference to
  // tuple 1 setting "a" to an empty value (delete) and "b" to "y".
  std::string e1;
  TupleEncoder().EncodeEntry(Tuple{{"a", "x"}}, &e1);
  std::string e2;
  AppendValueHeader(false, kTypeTuple, 2, &e2);
  AppendVarint(1, &e2);
  AppendValueHeader(false, kTypeBuffer, 2, &e2);  // name "a" by reference
  AppendValueHeader(true, kTypeBuffer, 0, &e2);   // empty: delete
  AppendValueHeader(true, kTypeBuffer, 1, &e2);
  e2 += "b";
  AppendValueHeader(true, kTypeString, 1, &e2);
  e2 += "y";
  TupleDecoder decoder;
  ASSERT_TRUE(decoder.DecodeEntry(e1, false).ok());
  ASSERT_TRUE(decoder.DecodeEntry(e2, false).ok());
  EXPECT_EQ(FormatTuple(*decoder.Root()), "(b:y)");
}

TEST(TupleCodecTest, RejectsHostileEncodings) {
  TupleDecoder decoder;
  std::string unknown_ref;
  AppendValueHeader(false, kTypeTuple, 0, &unknown_ref);
  AppendVarint(99, &unknown_ref);
  EXPECT_FALSE(decoder.DecodeEntry(unknown_ref, false).ok());
  EXPECT_FALSE(
      decoder.DecodeEntry(std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"), false).ok());
  std::string huge_count;
  AppendValueHeader(true, kTypeTuple, 1ull << 62, &huge_count);
  EXPECT_FALSE(TupleDecoder().DecodeEntry(huge_count, false).ok());
  std::string deep;
  for (int i = 0; i < 100000; ++i) {
    AppendValueHeader(true, kTypeVector, 1, &deep);
  }
  EXPECT_FALSE(TupleDecoder().DecodeEntry(deep, false).ok());
  EXPECT_FALSE(TupleDecoder().Root().ok());
}

TEST(TupleCodecTest, RejectsCyclesWhenBuildingTheRoot) {
  std::string e1;
  TupleEncoder().EncodeEntry(Tuple{{"a", "x"}}, &e1);
  std::string e2;  // root.self = root
  AppendValueHeader(false, kTypeTuple, 1, &e2);
  AppendVarint(1, &e2);
  AppendValueHeader(true, kTypeBuffer, 4, &e2);
  e2 += "self";
  AppendValueHeader(false, kTypeTuple, 0, &e2);
  AppendVarint(1, &e2);
  TupleDecoder decoder;
  ASSERT_TRUE(decoder.DecodeEntry(e1, false).ok());
  ASSERT_TRUE(decoder.DecodeEntry(e2, false).ok());
  EXPECT_EQ(decoder.Root().status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace nanoplane::image
