"""Every table of the core, registered on SQLModel.metadata by importing its package's
models (migrations and tests import this one module)."""

from __future__ import annotations

from scheduler_core.agenda import models as agenda_models  # noqa: F401
from scheduler_core.audit import models as audit_models  # noqa: F401
from scheduler_core.billing import models as billing_models  # noqa: F401
from scheduler_core.catalog import models as catalog_models  # noqa: F401
from scheduler_core.chatbot import models as chatbot_models  # noqa: F401
from scheduler_core.checklists import models as checklists_models  # noqa: F401
from scheduler_core.notifications import models as notifications_models  # noqa: F401
from scheduler_core.people import models as people_models  # noqa: F401
from scheduler_core.plans import models as plans_models  # noqa: F401
from scheduler_core.reports import indexes as report_indexes  # noqa: F401
from scheduler_core.shop import models as shop_models  # noqa: F401
from scheduler_core.surveys import models as surveys_models  # noqa: F401
