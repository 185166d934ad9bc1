#include "tests/emulator/job_clock.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mediagen::emulator {
namespace {

using json = nlohmann::json;
using ::testing::ElementsAre;

class Recorder {
 public:
  void operator()(const JobStore::Change& c) {
    std::lock_guard<std::mutex> lock(mu_);
    changes_.push_back(c.id + ":" + c.status);
    cv_.notify_all();
  }
  std::vector<std::string> WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(10),
                 [&] { return changes_.size() >= n; });
    return changes_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> changes_;
};

Job MediaJob(const std::string& id) {
  Job j;
  j.kind = JobKind::kMedia;
  j.id = id;
  j.customer_id = "c";
  j.object = {
      {"id", id}, {"processing_status", "new"}, {"result", json::array()}};
  j.results = {"http://x/v.avi"};
  return j;
}

class JobStoreTest : public ::testing::Test {
 protected:
  JobStoreTest()
      : store_(Options(), [this](const JobStore::Change& c) { rec_(c); }) {
    store_.Start();
  }
  static JobStore::Options Options() {
    JobStore::Options o;
    o.time_scale = 0;  // every step is due at once, in order
    return o;
  }
  Recorder rec_;
  JobStore store_;
};

TEST_F(JobStoreTest, MediaRunsItsTimelineAndReportsStatusChangesOnly) {
  store_.Add(MediaJob("m"));
  EXPECT_THAT(rec_.WaitFor(3), ElementsAre("m:queue_bullet",
                                           "m:processing_bullet", "m:success"));
  ASSERT_TRUE(store_.WaitTerminal("m", std::chrono::seconds(5)));
  std::optional<json> m = store_.Get("m", "c", JobKind::kMedia);
  ASSERT_TRUE(m);
  EXPECT_EQ((*m)["processing_status"], "success");
  EXPECT_EQ((*m)["progress_percentage"], 100);
  EXPECT_EQ((*m)["result"], json::array({"http://x/v.avi"}));
  EXPECT_FALSE(store_.Get("m", "other", JobKind::kMedia));
  EXPECT_FALSE(store_.Get("m", "c", JobKind::kAsset));
}

TEST_F(JobStoreTest, QueuedOutcomesApplyToTheirKindInOrder) {
  store_.QueueOutcome("asset", true, 1, "");
  store_.QueueOutcome("media", true, 1, "broken");
  store_.Add(MediaJob("m"));
  ASSERT_TRUE(store_.WaitTerminal("m", std::chrono::seconds(5)));
  EXPECT_EQ((*store_.Get("m", "", JobKind::kMedia))["processing_status"],
            "fail");
  ASSERT_EQ(store_.PendingOutcomes().size(), 1u);
  EXPECT_EQ(store_.PendingOutcomes()[0]["kind"], "asset");
}

TEST_F(JobStoreTest, PausedJobsMoveOnlyWhenAdvancedOrCompleted) {
  store_.SetPaused(true);
  store_.Add(MediaJob("m"));
  EXPECT_FALSE(store_.WaitTerminal("m", std::chrono::milliseconds(50)));
  EXPECT_EQ(store_.Describe("m")["status"], "new");
  ASSERT_TRUE(store_.Advance("m").ok());
  EXPECT_EQ(store_.Describe("m")["status"], "queue_bullet");
  ASSERT_TRUE(store_.Complete("m", "cancel", "").ok());
  EXPECT_EQ(store_.Describe("m")["status"], "cancel");
  EXPECT_FALSE(store_.Advance("m").ok());
  EXPECT_FALSE(store_.Complete("m", "maybe", "").ok());
  EXPECT_TRUE(absl::IsNotFound(store_.Advance("nope")));
  store_.SetPaused(false);
  EXPECT_THAT(rec_.WaitFor(2), ElementsAre("m:queue_bullet", "m:cancel"));
}

TEST_F(JobStoreTest, GenerationsCompleteWithTheirAudioFile) {
  Job g;
  g.kind = JobKind::kGeneration;
  g.id = "g:stable-audio";
  g.customer_id = "c";
  g.object = {{"id", g.id}, {"status", "queued"}, {"audio_file", nullptr}};
  g.audio_file = {{"url", "http://x/a.wav"}};
  store_.Add(std::move(g));
  ASSERT_TRUE(store_.WaitTerminal("g:stable-audio", std::chrono::seconds(5)));
  json o = *store_.Get("g:stable-audio", "c", JobKind::kGeneration);
  EXPECT_EQ(o["status"], "completed");
  EXPECT_EQ(o["audio_file"]["url"], "http://x/a.wav");
  EXPECT_FALSE(o.contains("progress_percentage"));
}

TEST_F(JobStoreTest, RestartRunsTheTimelineAgain) {
  store_.Add(MediaJob("m"));
  ASSERT_TRUE(store_.WaitTerminal("m", std::chrono::seconds(5)));
  rec_.WaitFor(3);
  std::optional<json> after = store_.Edit(
      "m", "c", JobKind::kMedia, [](Job& j) { j.object["title"] = "again"; },
      true);
  ASSERT_TRUE(after);
  EXPECT_EQ((*after)["title"], "again");
  std::vector<std::string> all = rec_.WaitFor(7);
  ASSERT_EQ(all.size(), 7u);
  EXPECT_EQ(all[3], "m:new");
  EXPECT_EQ(all[6], "m:success");
  EXPECT_FALSE(store_.Edit("m", "other", JobKind::kMedia, nullptr, false));
}

}  // namespace
}  // namespace mediagen::emulator
