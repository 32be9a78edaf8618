"""All models, imported here so Alembic and relationships see every table."""
from burntop.models.accounts import DeviceGrant, EmailCode
from burntop.models.benchmarks import PercentileSnapshot
from burntop.models.gamification import Achievement, AchievementUnlock, XpEvent
from burntop.models.jobs import PendingJob
from burntop.models.social import Activity, Follow, Notification, Referral, ReferralClick
from burntop.models.usage import CodingSession, DailyRollup, Machine, MachineDay, UsageHour, UsageRecord
from burntop.models.users import ApiToken, Avatar, User, UserSession

__all__ = [
    "Achievement", "AchievementUnlock", "Avatar", "DeviceGrant", "EmailCode", "Activity", "ApiToken", "CodingSession",
    "DailyRollup", "Follow", "Machine", "MachineDay", "Notification", "PendingJob", "PercentileSnapshot", "Referral",
    "ReferralClick", "UsageHour", "UsageRecord", "User", "UserSession", "XpEvent",
]
