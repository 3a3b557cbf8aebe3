"""Inventory settings only the infrastructure probes read: logins and RabbitMQ queue selection.

A login never holds a password: it names an environment variable or a file that does, or a
MySQL option file (``[client]`` ``user``/``password``) for MariaDB/Galera. The probe reads the
secret when it runs, so the inventory can be shown, diffed and committed.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from osmon.inventory.fields import AbsolutePath, EnvVar, Regex

__all__ = ["DEFAULT_QUEUES", "Credentials", "QueueSelection"]

#: Queues the RabbitMQ probe watches unless told otherwise: the oslo.messaging notification
#: queues (``notifications.info``, ``versioned_notifications.error`` …) and osmon's own pool.
DEFAULT_QUEUES = r"(versioned_)?notifications\..+|osmon"


class Credentials(BaseModel):
    """Login for a service's probes (RabbitMQ management API, MariaDB/Galera, HAProxy stats).
    Never holds a password: name an environment variable, a file, or a MySQL option file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    username: str | None = Field(None, description="User name (not needed with option_file).")
    password_env: EnvVar | None = Field(
        None, description="Name of the environment variable holding the password."
    )
    password_file: AbsolutePath | None = Field(
        None, description="File whose first line is the password (mode 0600)."
    )
    option_file: AbsolutePath | None = Field(
        None, description="MariaDB/Galera: MySQL option file with [client] user and password."
    )

    @model_validator(mode="after")
    def _one_secret(self) -> Credentials:
        given = [k for k in ("password_env", "password_file", "option_file") if getattr(self, k)]
        if len(given) > 1:
            raise ValueError(f"give one of {', '.join(given)}, not several")
        if self.username is None and self.option_file is None:
            raise ValueError(
                "give 'username' (with password_env or password_file) or 'option_file'"
            )
        return self


class QueueSelection(BaseModel):
    """Which RabbitMQ queues the probe reports on (per-queue depth, consumers, unacked)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    vhost: str | None = Field(None, description="Only this virtual host's queues (default: all).")
    match: Regex = Field(
        DEFAULT_QUEUES, description="Regular expression the whole queue name must match."
    )
