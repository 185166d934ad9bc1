#include "tests/emulator/job_clock.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tests/emulator/util.h"

namespace mediagen::emulator {

using json = nlohmann::json;

const char* JobKindName(JobKind kind) {
  switch (kind) {
    case JobKind::kMedia:
      return "media";
    case JobKind::kAsset:
      return "asset";
    case JobKind::kGeneration:
      return "generation";
  }
  return "unknown";
}

bool JobStore::IsTerminal(JobKind kind, const std::string& status) {
  if (kind == JobKind::kGeneration)
    return status == "completed" || status == "error";
  return status == "success" || status == "fail" || status == "cancel";
}

JobStore::JobStore(Options options, ChangeCallback on_change)
    : options_(options), on_change_(std::move(on_change)) {}

JobStore::~JobStore() { Stop(); }

void JobStore::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Run(); });
}

void JobStore::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  terminal_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void JobStore::QueueOutcome(const std::string& kind, bool fail, int count,
                            const std::string& message) {
  std::lock_guard<std::mutex> lock(mu_);
  for (int i = 0; i < count; ++i) outcomes_.push_back({kind, fail, message});
}

json JobStore::PendingOutcomes() const {
  std::lock_guard<std::mutex> lock(mu_);
  json out = json::array();
  for (const Outcome& o : outcomes_) {
    out.push_back({{"kind", o.kind},
                   {"outcome", o.fail ? "fail" : "success"},
                   {"message", o.message}});
  }
  return out;
}

void JobStore::TakeOutcomeLocked(Job& job) {
  job.fail = false;
  const std::string kind = JobKindName(job.kind);
  for (auto it = outcomes_.begin(); it != outcomes_.end(); ++it) {
    if (it->kind == kind || it->kind == "any") {
      job.fail = it->fail;
      job.error_message = it->message;
      outcomes_.erase(it);
      return;
    }
  }
}

void JobStore::StartCycleLocked(Entry& entry) {
  const Job& job = entry.job;
  entry.steps.clear();
  entry.next_step = 0;
  ++entry.cycle;
  if (job.kind == JobKind::kGeneration) {
    entry.steps.push_back({0.10, "generating", 0});
    if (job.fail) {
      entry.steps.push_back({0.30, "error", 0});
    } else {
      entry.steps.push_back({0.50, "completed", 100});
    }
  } else {
    entry.steps.push_back({0.10, "queue_bullet", 0});
    entry.steps.push_back({0.25, "processing_bullet", 0});
    for (int k = 1; k <= 4; ++k) {
      if (job.fail && k > 2) break;
      entry.steps.push_back({0.25 + 0.15 * k, "processing_bullet", 20 * k});
    }
    if (job.fail) {
      entry.steps.push_back({0.60, "fail", 40});
    } else {
      entry.steps.push_back({1.0, "success", 100});
    }
  }
  const auto start = Clock::now();
  const double unit = std::max(0.0, options_.time_scale * options_.job_seconds);
  for (size_t i = 0; i < entry.steps.size(); ++i) {
    const auto delay = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(entry.steps[i].at * unit));
    timers_.emplace(start + delay, Timer{job.id, entry.cycle, i});
  }
}

void JobStore::ApplyLocked(Entry& entry, const std::string& status,
                           int progress) {
  Job& job = entry.job;
  json& o = job.object;
  const bool changed = status != entry.status;
  entry.status = status;
  entry.dump.clear();
  o["updated_at"] = VimmerseTimestamp();
  switch (job.kind) {
    case JobKind::kMedia:
      o["processing_status"] = status;
      o["progress_percentage"] = progress;
      if (status == "success") o["result"] = job.results;
      break;
    case JobKind::kAsset:
      o["status"] = status;
      o["progress_percentage"] = progress;
      if (status == "success") o["results"] = job.results;
      break;
    case JobKind::kGeneration:
      o.erase("updated_at");
      o["status"] = status;
      if (status == "completed") o["audio_file"] = job.audio_file;
      if (status == "error") {
        o["error"] = {
            {"name", "GenerationError"},
            {"message", job.error_message.empty() ? "The generation failed."
                                                  : job.error_message}};
      }
      break;
  }
  if (changed) {
    outbox_.push_back(
        {job.kind, job.id, job.customer_id, status, job.webhook_url});
  }
  if (IsTerminal(job.kind, status)) terminal_cv_.notify_all();
}

void JobStore::Notify() {
  std::lock_guard<std::mutex> order(notify_mu_);
  while (true) {
    Change c;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (outbox_.empty()) return;
      c = std::move(outbox_.front());
      outbox_.pop_front();
    }
    if (on_change_) on_change_(c);
  }
}

void JobStore::Add(Job job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    TakeOutcomeLocked(job);
    Entry entry;
    entry.status = job.kind == JobKind::kMedia
                       ? job.object.value("processing_status", "new")
                       : job.object.value("status", "new");
    const std::string id = job.id;
    entry.job = std::move(job);
    auto [it, inserted] = jobs_.insert_or_assign(id, std::move(entry));
    (void)inserted;
    if (!IsTerminal(it->second.job.kind, it->second.status)) {
      StartCycleLocked(it->second);
    }
  }
  cv_.notify_all();
}

std::optional<json> JobStore::Get(const std::string& id,
                                  const std::string& customer_id,
                                  JobKind kind) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end() || it->second.job.kind != kind) return std::nullopt;
  if (!customer_id.empty() && it->second.job.customer_id != customer_id) {
    return std::nullopt;
  }
  return it->second.job.object;
}

std::optional<std::string> JobStore::GetJson(const std::string& id,
                                             const std::string& customer_id,
                                             JobKind kind) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end() || it->second.job.kind != kind) return std::nullopt;
  if (!customer_id.empty() && it->second.job.customer_id != customer_id) {
    return std::nullopt;
  }
  const Entry& e = it->second;
  if (e.dump.empty()) e.dump = DumpJson(e.job.object);
  return e.dump;
}

std::optional<json> JobStore::Edit(const std::string& id,
                                   const std::string& customer_id, JobKind kind,
                                   const std::function<void(Job&)>& edit,
                                   bool restart) {
  json result;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = jobs_.find(id);
    if (it == jobs_.end() || it->second.job.kind != kind) return std::nullopt;
    Entry& entry = it->second;
    if (!customer_id.empty() && entry.job.customer_id != customer_id) {
      return std::nullopt;
    }
    if (edit) edit(entry.job);
    entry.dump.clear();
    if (restart) {
      TakeOutcomeLocked(entry.job);
      const std::string first =
          entry.job.kind == JobKind::kGeneration ? "queued" : "new";
      ApplyLocked(entry, first, 0);
      StartCycleLocked(entry);
    }
    result = entry.job.object;
  }
  if (restart) cv_.notify_all();
  Notify();
  return result;
}

bool JobStore::WaitTerminal(const std::string& id,
                            std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return terminal_cv_.wait_for(lock, timeout,
                               [&] {
                                 if (stopping_) return true;
                                 auto it = jobs_.find(id);
                                 return it == jobs_.end() ||
                                        IsTerminal(it->second.job.kind,
                                                   it->second.status);
                               }) &&
         !stopping_ && jobs_.count(id) > 0;
}

absl::Status JobStore::Advance(const std::string& id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = jobs_.find(id);
    if (it == jobs_.end())
      return absl::NotFoundError(absl::StrCat("no job ", id));
    Entry& entry = it->second;
    if (entry.next_step >= entry.steps.size()) {
      return absl::FailedPreconditionError(
          absl::StrCat("job ", id, " has no step left (", entry.status, ")"));
    }
    const Step step = entry.steps[entry.next_step++];
    ApplyLocked(entry, step.status, step.progress);
  }
  Notify();
  return absl::OkStatus();
}

absl::Status JobStore::Complete(const std::string& id,
                                const std::string& outcome,
                                const std::string& message) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = jobs_.find(id);
    if (it == jobs_.end())
      return absl::NotFoundError(absl::StrCat("no job ", id));
    Entry& entry = it->second;
    std::string status;
    int progress = 100;
    const bool generation = entry.job.kind == JobKind::kGeneration;
    if (outcome == "success" || outcome == "completed") {
      status = generation ? "completed" : "success";
      entry.job.fail = false;
    } else if (outcome == "fail" || outcome == "error") {
      status = generation ? "error" : "fail";
      progress = 40;
      entry.job.fail = true;
      entry.job.error_message = message;
    } else if (outcome == "cancel" && !generation) {
      status = "cancel";
      progress = 0;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("outcome must be success, fail",
                       generation ? "" : " or cancel", ", not ", outcome));
    }
    entry.steps.clear();
    entry.next_step = 0;
    ++entry.cycle;  // orphans the pending timers
    ApplyLocked(entry, status, progress);
  }
  Notify();
  return absl::OkStatus();
}

void JobStore::SetPaused(bool paused) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    paused_ = paused;
  }
  cv_.notify_all();
}

bool JobStore::paused() const {
  std::lock_guard<std::mutex> lock(mu_);
  return paused_;
}

json JobStore::Describe(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return nullptr;
  const Entry& e = it->second;
  json steps = json::array();
  for (const Step& s : e.steps) {
    steps.push_back(
        {{"at", s.at}, {"status", s.status}, {"progress", s.progress}});
  }
  return {{"id", e.job.id},
          {"kind", JobKindName(e.job.kind)},
          {"customer_id", e.job.customer_id},
          {"status", e.status},
          {"fail", e.job.fail},
          {"webhook_url", e.job.webhook_url},
          {"next_step", e.next_step},
          {"steps", std::move(steps)},
          {"object", e.job.object}};
}

size_t JobStore::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return jobs_.size();
}

void JobStore::Reset() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.clear();
    timers_.clear();
    outcomes_.clear();
    outbox_.clear();
    paused_ = false;
  }
  cv_.notify_all();
  terminal_cv_.notify_all();
}

void JobStore::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (paused_ || timers_.empty()) {
      cv_.wait(lock);
      continue;
    }
    const auto due = timers_.begin()->first;
    if (Clock::now() < due) {
      cv_.wait_until(lock, due);
      continue;
    }
    // Run every step that is due, oldest first, in one pass.
    while (!timers_.empty() && timers_.begin()->first <= Clock::now() &&
           !paused_) {
      Timer t = timers_.begin()->second;
      timers_.erase(timers_.begin());
      auto it = jobs_.find(t.id);
      if (it == jobs_.end()) continue;
      Entry& entry = it->second;
      // Stale timers: a newer cycle, or a step already run by Advance.
      if (t.cycle != entry.cycle || t.step < entry.next_step) continue;
      // Run the steps up to this one in order (Advance may have skipped).
      while (entry.next_step <= t.step &&
             entry.next_step < entry.steps.size()) {
        const Step step = entry.steps[entry.next_step++];
        ApplyLocked(entry, step.status, step.progress);
      }
    }
    if (!outbox_.empty()) {
      lock.unlock();
      Notify();
      lock.lock();
    }
  }
}

}  // namespace mediagen::emulator
