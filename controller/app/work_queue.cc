#include "controller/app/work_queue.h"

#include <algorithm>
#include <cmath>

#include "common/status.h"

namespace nanoplane::controller::app {

WorkQueue::WorkQueue(WorkQueueOptions options) : options_(options) {}

WorkQueue::~WorkQueue() { ShutDown(); }

void WorkQueue::AddLocked(const std::string& key) {
  if (shutting_down_ || dirty_.contains(key)) {
    return;
  }
  dirty_.insert(key);
  // A key in flight is queued again by Done, so that no two workers hold it.
  if (!processing_.contains(key)) {
    queue_.push_back(key);
    cond_.Signal();
  }
}

void WorkQueue::Add(const std::string& key) {
  absl::MutexLock lock(&mu_);
  AddLocked(key);
}

void WorkQueue::AddAfter(const std::string& key, absl::Duration delay) {
  absl::MutexLock lock(&mu_);
  if (shutting_down_) {
    return;
  }
  if (delay <= absl::ZeroDuration()) {
    AddLocked(key);
    return;
  }
  absl::Time at = absl::Now() + delay;
  auto [it, inserted] = waiting_.emplace(key, at);
  if (!inserted && at >= it->second) {
    return;  // an earlier wake-up is pending already
  }
  it->second = at;
  // A waiting Get may sleep until a later deadline; let it recompute.
  cond_.SignalAll();
}

void WorkQueue::AddRateLimited(const std::string& key) {
  absl::Duration delay;
  {
    absl::MutexLock lock(&mu_);
    int failures = failures_[key]++;
    delay = options_.base_delay * std::pow(2.0, std::min(failures, 40));
    delay = std::min(delay, options_.max_delay);
  }
  AddAfter(key, delay);
}

void WorkQueue::Forget(const std::string& key) {
  absl::MutexLock lock(&mu_);
  failures_.erase(key);
}

int WorkQueue::NumRequeues(const std::string& key) const {
  absl::MutexLock lock(&mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

absl::Time WorkQueue::PromoteDue(absl::Time now) {
  absl::Time next = absl::InfiniteFuture();
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (it->second <= now) {
      AddLocked(it->first);
      it = waiting_.erase(it);
    } else {
      next = std::min(next, it->second);
      ++it;
    }
  }
  return next;
}

std::optional<std::string> WorkQueue::Get() {
  absl::MutexLock lock(&mu_);
  while (true) {
    if (shutting_down_) {
      return std::nullopt;
    }
    absl::Time next = PromoteDue(absl::Now());
    if (!queue_.empty()) {
      std::string key = std::move(queue_.front());
      queue_.pop_front();
      processing_.insert(key);
      dirty_.erase(key);
      return key;
    }
    cond_.WaitWithDeadline(&mu_, next);
  }
}

void WorkQueue::Done(const std::string& key) {
  absl::MutexLock lock(&mu_);
  processing_.erase(key);
  if (dirty_.contains(key) && !shutting_down_) {
    queue_.push_back(key);
    cond_.Signal();
  }
}

void WorkQueue::Work(const Handler& handler) {
  while (std::optional<std::string> key = Get()) {
    absl::Status status = handler(*key);
    // A terminal error waits for its input to change (a watch event adds the
    // key again); retrying it would only repeat the error.
    if (status.ok() || IsTerminal(status)) {
      Forget(*key);
    } else {
      AddRateLimited(*key);
    }
    Done(*key);
  }
}

void WorkQueue::Start(int workers, Handler handler) {
  absl::MutexLock lock(&workers_mu_);
  for (int i = 0; i < workers; ++i) {
    workers_.emplace_back([this, handler] { Work(handler); });
  }
}

void WorkQueue::ShutDown() {
  {
    absl::MutexLock lock(&mu_);
    shutting_down_ = true;
    cond_.SignalAll();
  }
  absl::MutexLock lock(&workers_mu_);
  for (std::thread& worker : workers_) {
    worker.join();
  }
  workers_.clear();
}

bool WorkQueue::Idle() const {
  absl::MutexLock lock(&mu_);
  return queue_.empty() && processing_.empty();
}

size_t WorkQueue::Len() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

size_t WorkQueue::NumWaiting() const {
  absl::MutexLock lock(&mu_);
  return waiting_.size();
}

}  // namespace nanoplane::controller::app
