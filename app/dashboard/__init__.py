"""The coordinator's dashboard: what needs doing today, as (label, count, link) items."""
