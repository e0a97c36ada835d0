// Package jobs runs bank syncs as durable background jobs on River
// (github.com/riverqueue/river).
//
// River gives what a home-grown loop would have to rebuild: jobs that survive
// a restart, at most one active job per connection (a unique key on the
// connection id), retries with backoff when the engine itself fails, graceful
// shutdown, and one queue that several `bankfeed worker` processes can share
// once the store runs on PostgreSQL (riverpgxv5). On SQLite the same jobs run
// through River's SQLite driver in the one process that owns the file.
//
// Two kinds of job:
//
//   - schedule_syncs is a periodic job, queued every Options.Tick (and once
//     when a process becomes leader) by whichever process River elected
//     leader; any process may run it. It asks the Syncer
//     which connections are due and queues a sync_connection job for each.
//     When a connection is due is not River's business: the retry policy
//     (internal/scheduler) computes next_attempt_at, with jitter, and the
//     syncer stores it on the connection. The schedule therefore lives in the
//     store, survives restarts, and is the same for every worker process.
//   - sync_connection runs one sync of one connection. A failure at the bank
//     is an outcome the syncer records (and turns into the next
//     next_attempt_at); it completes the job. Only an error of the engine
//     itself fails the job, and River retries it a few times before giving
//     up; the next tick queues the connection again if it is still due.
//
// River does not enforce per-institution concurrency limits or per-account
// exclusivity (its concurrency limits are in its paid edition). The syncer
// does, with leases in the store, which also covers the rare case where River
// runs a sync twice: one that ignores its cancelled context past River's
// rescue of stuck jobs. Here, the unique key keeps at most one
// sync_connection job per connection available, scheduled, running or
// waiting to retry, and Options.Workers bounds the syncs that run at once in
// one process. When a process dies mid-sync, its job stays marked running,
// and the connection is not queued again, until River rescues it, some 15
// minutes after it started.
//
// # SQLite
//
// River is given the store's writer: one *sql.DB limited to one connection
// (see internal/store). River's SQLite driver asks for exactly that (with
// more connections its concurrent statements fail with SQLITE_BUSY), and
// River's own tests run that way. River begins a transaction on the pool's
// connection and does everything in it through that transaction, and it
// holds none while a job runs, so sharing the connection does not deadlock:
// River's short statements and the syncer's commits take turns. A second
// pool for River would not help, since its writes would still queue for
// SQLite's one write lock, through busy_timeout instead of in order, and
// fail with SQLITE_BUSY when that runs out.
//
// Two rules follow. The syncer keeps write transactions short (talk to the
// bank first, then commit): a transaction held for more than about five
// seconds makes River's leader re-election and job fetches time out, and
// River logs errors and steps down as leader until the connection is free
// again. And nothing calls a Runner method while it holds a transaction on
// the writer, which would wait for the very connection it holds.
//
// River polls: each queue looks for jobs every Options.FetchPoll, and its
// notification table (SQLite has no LISTEN/NOTIFY) is read every 50ms. Each
// poll is one short indexed statement.
package jobs
