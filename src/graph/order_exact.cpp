// The exact minimum-peak order (issue 6, item 2).
//
// Dynamic programming over scheduled sets S (down-sets of the DAG), level by level (|S| =
// step count). What remains to be paid after S depends only on S, so among all prefixes that
// schedule S only the one with the smallest peak so far needs to be kept: that is the DP.
// A scheduled set is identified by its zero-indegree frontier (the ready operators): the
// unscheduled operators are exactly those reachable from the frontier, so the frontier is a
// smaller key for the same memo. Two prunings keep it tractable:
//  - budget: a prefix whose peak already reaches the incumbent's is dropped, so the search
//    only ever looks for strict improvements (and proves the incumbent optimal if none);
//  - splitting: an operator that every other operator must precede or follow (where a
//    network narrows to a single tensor, e.g. between ResNet blocks or RandWire stages)
//    cuts the graph into segments whose orders are independent: the bytes live at the cut
//    do not depend on the order before it. Each segment is solved alone, the highest first;
//    a segment only has to get down to the peak some other segment forces anyway (a floor).
// Reaching the time limit or the state cap keeps the incumbent's order for the unfinished
// segments (the DP holds no complete order before its last level) and states a lower bound
// from the level being expanded: every order passes through one of its states.
#include <algorithm>
#include <chrono>
#include <numeric>
#include <unordered_map>
#include <utility>

#include "graph/peak_memory.hpp"

namespace bitforge::graph {

namespace {

using Clock = std::chrono::steady_clock;
using Bits = std::vector<std::uint64_t>;

bool test(const Bits& b, int i) {
  return (b[i >> 6] >> (i & 63)) & 1;
}
void set(Bits& b, int i) {
  b[i >> 6] |= std::uint64_t{1} << (i & 63);
}
int count(const Bits& b) {
  int c = 0;
  for (std::uint64_t w : b) c += __builtin_popcountll(w);
  return c;
}

// Caps that bound memory, whatever the time limit: about 1-2 GB in the worst case.
constexpr int kMaxLevelStates = 3'000'000;
constexpr std::int64_t kMaxTotalStates = 30'000'000;

// Segments in execution order: every operator of segment k precedes every one of k+1.
std::vector<std::vector<NodeId>> split_at_cuts(const Graph& g, const Order& topo) {
  const int n = g.num_nodes(), words = (n + 63) / 64;
  std::vector<Bits> anc(n, Bits(words, 0)), desc(n, Bits(words, 0));
  for (NodeId v : topo)
    for (NodeId p : g.predecessors(v)) {
      for (int w = 0; w < words; ++w) anc[v][w] |= anc[p][w];
      set(anc[v], p);
    }
  for (auto it = topo.rbegin(); it != topo.rend(); ++it)
    for (NodeId s : g.successors(*it)) {
      for (int w = 0; w < words; ++w) desc[*it][w] |= desc[s][w];
      set(desc[*it], s);
    }
  std::vector<std::vector<NodeId>> segments(1);
  for (NodeId v : topo) {  // topo lists a cut after all of its ancestors: close the segment there
    segments.back().push_back(v);
    if (count(anc[v]) + count(desc[v]) + 1 == n) segments.emplace_back();
  }
  if (segments.back().empty()) segments.pop_back();
  return segments;
}

struct SegmentResult {
  Order order;
  std::int64_t peak = 0, lower_bound = 0;
  bool optimal = false;
};

class SegmentSearch {
 public:
  // Segment `k` of `segment_of`; `live_before` is the bytes live after the earlier segments.
  SegmentSearch(const Graph& g, const std::vector<NodeId>& nodes,
                const std::vector<int>& segment_of, int k, std::int64_t live_before,
                Clock::time_point deadline, std::int64_t& states)
      : nodes_(nodes), live_before_(live_before), deadline_(deadline), states_(states) {
    const int m = static_cast<int>(nodes.size());
    auto done = [&](NodeId v) { return segment_of[v] < k; };
    std::unordered_map<NodeId, int> local;
    for (int i = 0; i < m; ++i) local[nodes[i]] = i;
    preds_.resize(m);
    succs_.resize(m);
    out_.resize(m);
    frees_.resize(m);
    for (int i = 0; i < m; ++i) {
      for (NodeId p : g.predecessors(nodes[i]))
        if (!done(p)) preds_[i].push_back(local.at(p));
      for (NodeId s : g.successors(nodes[i]))
        if (auto it = local.find(s); it != local.end()) succs_[i].push_back(it->second);
      out_[i] = g.output_bytes(nodes[i]);
      for (TensorId t : g.node(nodes[i]).inputs) {
        if (g.is_output(t)) continue;
        Freeable f{g.tensor(t).bytes, {}};
        bool later_reader = false;
        for (NodeId c : g.tensor(t).consumers) {
          if (done(c)) continue;
          auto it = local.find(c);
          if (it == local.end())
            later_reader = true;
          else
            f.readers.push_back(it->second);
        }
        if (!later_reader) frees_[i].push_back(std::move(f));
      }
    }
  }

  // Looks for an order of the segment whose peak is below `budget` (the incumbent's), where
  // peaks up to `floor` count as `floor`: the whole graph cannot go below it anyway. The
  // result is the minimum of max(floor, segment peak).
  SegmentResult run(std::int64_t budget, std::int64_t floor, const Order& fallback) {
    const int m = static_cast<int>(nodes_.size()), words = (m + 63) / 64;
    SegmentResult fallback_result{fallback, std::max(budget, floor), std::max(budget, floor), true};
    if (floor >= budget) return fallback_result;  // nothing can beat the incumbent
    Level level(words);
    const Bits none(words, 0);
    std::vector<int> ready;
    for (int i = 0; i < m; ++i)
      if (preds_[i].empty()) ready.push_back(i);
    level.add(none.data(), ready, live_before_, floor, -1, -1);
    std::vector<std::vector<std::pair<int, int>>> parents;  // per level: (parent index, operator)
    Bits scheduled(words);
    for (int depth = 0; depth < m; ++depth) {
      Level next(words);
      std::int64_t level_bound = budget;  // min peak-so-far over this level's states
      for (int si = 0; si < level.size(); ++si) level_bound = std::min(level_bound, level.peak[si]);
      for (int si = 0; si < level.size(); ++si) {
        if ((++states_ & 1023) == 0 && (Clock::now() > deadline_ || next.size() > kMaxLevelStates ||
                                        states_ > kMaxTotalStates)) {
          fallback_result.optimal = false;
          fallback_result.lower_bound = level_bound;
          return fallback_result;
        }
        const std::uint64_t* s_bits = level.bits(si);
        const auto [r_begin, r_end] = level.ready(si);
        for (const int* pv = r_begin; pv != r_end; ++pv) {
          const int v = *pv;
          const std::int64_t peak = std::max(level.peak[si], level.live[si] + out_[v]);
          if (peak >= budget) continue;
          std::copy(s_bits, s_bits + words, scheduled.begin());
          set(scheduled, v);
          std::int64_t live = level.live[si] + out_[v];
          for (const Freeable& f : frees_[v])
            if (std::all_of(f.readers.begin(), f.readers.end(),
                            [&](int r) { return test(scheduled, r); }))
              live -= f.bytes;
          ready.clear();
          for (const int* pr = r_begin; pr != r_end; ++pr)
            if (*pr != v) ready.push_back(*pr);
          for (int c : succs_[v])
            if (std::all_of(preds_[c].begin(), preds_[c].end(),
                            [&](int p) { return test(scheduled, p); }))
              ready.push_back(c);
          std::sort(ready.begin(), ready.end());
          next.add(scheduled.data(), ready, live, peak, si, v);
        }
      }
      parents.push_back(std::move(next.parent));
      level = std::move(next);
      if (level.size() == 0) return fallback_result;  // every order reaches the budget
    }
    // One state remains: everything scheduled. Walk the parents back to the start.
    SegmentResult r;
    r.peak = r.lower_bound = level.peak[0];
    r.optimal = true;
    r.order.resize(m);
    for (int depth = m - 1, at = 0; depth >= 0; --depth) {
      r.order[depth] = nodes_[parents[depth][at].second];
      at = parents[depth][at].first;
    }
    return r;
  }

 private:
  struct Freeable {
    std::int64_t bytes;
    std::vector<int> readers;  // in this segment; the tensor dies when all have run
  };

  // The states of one DP level in flat arrays (millions of small vectors would cost more in
  // allocation than the search itself), with an open-addressing index on the ready set.
  class Level {
   public:
    explicit Level(int words) : words_(words) {}
    int size() const { return static_cast<int>(peak.size()); }
    const std::uint64_t* bits(int i) const {
      return bits_.data() + static_cast<std::size_t>(i) * words_;
    }
    std::pair<const int*, const int*> ready(int i) const {
      return {ready_.data() + ready_begin_[i], ready_.data() + ready_begin_[i + 1]};
    }
    // Adds the state (scheduled set, ready set) or, if that ready set is known, keeps the
    // smaller peak-so-far and its parent.
    void add(const std::uint64_t* scheduled, const std::vector<int>& ready, std::int64_t live_bytes,
             std::int64_t peak_bytes, int parent_state, int op) {
      std::uint64_t h = 1469598103934665603ull;
      for (int x : ready) h = (h ^ static_cast<std::uint64_t>(x)) * 1099511628211ull;
      if (2 * (size() + 1) > static_cast<int>(table_.size())) grow();
      for (std::size_t slot = h & (table_.size() - 1);; slot = (slot + 1) & (table_.size() - 1)) {
        const int at = table_[slot];
        if (at < 0) {
          table_[slot] = size();
          break;
        }
        if (hash_[at] == h) {
          const auto [b, e] = this->ready(at);
          if (static_cast<std::size_t>(e - b) == ready.size() && std::equal(b, e, ready.begin())) {
            if (peak_bytes < peak[at]) {
              peak[at] = peak_bytes;
              parent[at] = {parent_state, op};
            }
            return;
          }
        }
      }
      bits_.insert(bits_.end(), scheduled, scheduled + words_);
      ready_.insert(ready_.end(), ready.begin(), ready.end());
      ready_begin_.push_back(ready_.size());
      hash_.push_back(h);
      live.push_back(live_bytes);
      peak.push_back(peak_bytes);
      parent.push_back({parent_state, op});
    }
    std::vector<std::int64_t> live, peak;
    std::vector<std::pair<int, int>> parent;

   private:
    void grow() {
      table_.assign(std::max<std::size_t>(64, table_.size() * 2), -1);
      for (int i = 0; i < size(); ++i)
        for (std::size_t slot = hash_[i] & (table_.size() - 1);;
             slot = (slot + 1) & (table_.size() - 1))
          if (table_[slot] < 0) {
            table_[slot] = i;
            break;
          }
    }
    int words_;
    std::vector<std::uint64_t> bits_, hash_;
    std::vector<int> ready_;
    std::vector<std::size_t> ready_begin_{0};
    std::vector<int> table_;
  };

  const std::vector<NodeId>& nodes_;
  std::int64_t live_before_;
  Clock::time_point deadline_;
  std::int64_t& states_;
  std::vector<std::vector<int>> preds_, succs_;
  std::vector<std::int64_t> out_;
  std::vector<std::vector<Freeable>> frees_;
};

}  // namespace

ExactOrderResult exact_min_peak_order(const Graph& g, const Order& incumbent, double time_limit_s) {
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(time_limit_s));
  check_order(g, incumbent);
  const auto segments = split_at_cuts(g, incumbent);
  const std::vector<std::int64_t> incumbent_live = live_bytes_per_step(g, incumbent);
  const int count = static_cast<int>(segments.size());

  // What each segment starts from: the operators before it and the bytes live after them.
  // Both are the same for every order, since all of them run earlier segments first.
  std::vector<int> segment_of(g.num_nodes());
  std::vector<std::int64_t> live_before(count), budget(count), trivial(count);
  std::vector<std::size_t> first_step(count);
  {
    std::vector<int> remaining_uses(g.num_tensors());
    std::int64_t live = 0;
    for (TensorId t = 0; t < g.num_tensors(); ++t) {
      remaining_uses[t] = static_cast<int>(g.tensor(t).consumers.size());
      if (g.is_input(t)) live += g.tensor(t).bytes;
    }
    std::size_t step = 0;
    for (int k = 0; k < count; ++k) {
      live_before[k] = trivial[k] = live;  // at least what is live entering the segment
      first_step[k] = step;
      // The incumbent runs every segment contiguously too (cuts order all topological orders).
      budget[k] = *std::max_element(incumbent_live.begin() + step,
                                    incumbent_live.begin() + step + segments[k].size());
      for (NodeId v : segments[k]) {
        segment_of[v] = k;
        trivial[k] = std::max(trivial[k], g.input_bytes(v) + g.output_bytes(v));
        live += g.output_bytes(v);
        for (TensorId t : g.node(v).inputs)
          if (--remaining_uses[t] == 0 && !g.is_output(t)) live -= g.tensor(t).bytes;
      }
      step += segments[k].size();
    }
  }

  // The peak is the maximum over segments, so a segment only needs to get down to what
  // another segment (or the global bound) forces anyway: solving the highest segments first
  // raises that floor early and lets lower segments keep the incumbent's order untouched.
  std::vector<int> by_budget(count);
  std::iota(by_budget.begin(), by_budget.end(), 0);
  std::stable_sort(by_budget.begin(), by_budget.end(),
                   [&](int a, int b) { return budget[a] > budget[b]; });
  std::int64_t floor = peak_lower_bound(g);
  for (int k = 0; k < count; ++k) floor = std::max(floor, trivial[k]);

  ExactOrderResult result;
  result.optimal = true;
  result.segments = count;
  result.lower_bound = floor;
  std::vector<Order> orders(count);
  for (int k : by_budget) {
    const Order fallback(incumbent.begin() + first_step[k],
                         incumbent.begin() + first_step[k] + segments[k].size());
    SegmentSearch search(g, segments[k], segment_of, k, live_before[k], deadline, result.states);
    const SegmentResult r = search.run(budget[k], floor, fallback);
    orders[k] = r.order;
    result.peak = std::max(result.peak, r.peak);
    result.lower_bound = std::max(result.lower_bound, r.lower_bound);
    result.optimal = result.optimal && r.optimal;
    floor = std::max(floor, r.peak);
  }
  for (const Order& o : orders) result.order.insert(result.order.end(), o.begin(), o.end());
  if (result.optimal) result.lower_bound = result.peak;
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

}  // namespace bitforge::graph
