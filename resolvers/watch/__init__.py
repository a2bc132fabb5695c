"""Watching products: the change model and diff, the process-wide watcher (one poller per
watched product, inside a share of the channel's QPS budget), the event bus that carries
its events to subscribers (and across instances through Redis), and the webhooks."""
