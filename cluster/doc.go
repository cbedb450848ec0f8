// Package cluster is gilbench's broker-backed task queue: the step a Python job takes
// when it outgrows one machine and moves from multiprocessing to Celery, RQ or Dask. It
// keeps the suite's shape — one source of jobs, one destination for results — on NATS
// JetStream: an embedded, file-backed nats-server on loopback by default (Server), or
// any server by URL.
//
// The runner side is a Cell: the cell's spec in a key-value bucket, a durable pull
// consumer with explicit acks on the cell's subject of a work-queue stream of jobs
// (MaxAckPending = prefetch × workers), and a consumer on the cell's subject of a
// stream of results (limits retention: an acknowledged result costs the store nothing). The consumer of jobs is paused between batches; the
// runner queues a batch's jobs with the timer off and resumes it as the starting gun.
//
// The worker side is RunWorker: it watches the bucket, builds each cell's tasks with an
// Executor, claims one of the cell's slots (the runner's sign that the worker is ready)
// and pulls jobs within a window of prefetch unacknowledged ones, half of it at a
// time. It answers a pull with one result message and acknowledges the pull's jobs
// once the stream has stored it, so an acknowledged job's result survives a server
// restart; a job whose worker dies comes back after the ack wait. Each job carries its batch and task;
// the runner counts each task once, and a second result for it as a duplicate.
//
// docs/design/CLUSTER.md describes the protocol and how to run workers on other hosts.
package cluster
