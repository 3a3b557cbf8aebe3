"""OpenStack notifications: meter definitions, conversion to records, replay publisher.

The source that consumes RabbitMQ lives in :mod:`osmon.sources.notifications`; everything here is
usable without a broker (conversion is a pure function layer).
"""
