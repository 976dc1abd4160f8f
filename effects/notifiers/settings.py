"""The operator-wide notifier: Flagger's ``-slack-*`` / ``-msteams-*`` flags and ``-cluster-name``.

Settings are a frozen value passed in explicitly; the controller reads flags and environment
(``with_environment`` applies Flagger's rule that environment variables win) and nothing below
the CLI looks at ``os.environ``. Teams takes over when its URL is set; a Slack URL without a
channel cannot build a Slack notifier, which Flagger answers with the no-op notifier — so do we.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from effects.notifiers.base import Notifier, NotifierConfig, NotifierConfigError, NullNotifier
from effects.notifiers.registry import make_notifier

_ENVIRONMENT = {
    "SLACK_URL": "slack_url",
    "SLACK_TOKEN": "slack_token",
    "SLACK_PROXY_URL": "slack_proxy_url",
    "MSTEAMS_URL": "msteams_url",
    "MSTEAMS_PROXY_URL": "msteams_proxy_url",
}


@dataclass(frozen=True, slots=True)
class GlobalNotifierSettings:
    """Flags of the operator-wide notifier."""

    slack_url: str = ""
    """Slack incoming-webhook URL (``--slack-url``)."""
    slack_token: str = ""
    """Bearer token sent to Slack (``--slack-token``)."""
    slack_proxy_url: str = ""
    """Proxy for Slack calls (``--slack-proxy-url``)."""
    slack_user: str = "flagger"
    """User name posted as (``--slack-user``)."""
    slack_channel: str = ""
    """Channel posted to (``--slack-channel``); empty disables Slack, as in Flagger."""
    msteams_url: str = ""
    """Teams incoming-webhook URL (``--msteams-url``); when set, Teams replaces Slack."""
    msteams_proxy_url: str = ""
    """Proxy for Teams calls (``--msteams-proxy-url``)."""
    cluster_name: str = ""
    """Added as the first field (``Cluster``) of every alert (``--cluster-name``)."""

    def with_environment(self, environ: Mapping[str, str]) -> GlobalNotifierSettings:
        """These settings with Flagger's environment overrides (non-empty variables win)."""
        found = {field: environ[var] for var, field in _ENVIRONMENT.items() if environ.get(var)}
        return replace(self, **found)


def global_notifier(settings: GlobalNotifierSettings) -> Notifier:
    """The notifier alerts go to when a canary has no alert entries."""
    if settings.msteams_url:
        config = NotifierConfig(
            address=settings.msteams_url, proxy=settings.msteams_proxy_url or None
        )
        return make_notifier("msteams", config)
    config = NotifierConfig(
        address=settings.slack_url,
        channel=settings.slack_channel,
        username=settings.slack_user,
        proxy=settings.slack_proxy_url or None,
        token=settings.slack_token or None,
    )
    try:
        return make_notifier("slack", config)
    except NotifierConfigError:
        return NullNotifier()
