"""How a period's results become appraisal points (绩效考核): a weight and a cap on each named input."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from evaluation.extensions import Model


class AppraisalWeight(Model):
    __tablename__ = "appraisal_weights"

    input: Mapped[str] = mapped_column(sa.String(32), primary_key=True)  # evaluation.appraisal.scoring.INPUTS
    weight: Mapped[Decimal] = mapped_column(sa.Numeric(10, 3))
    cap: Mapped[Decimal | None] = mapped_column(sa.Numeric(10, 3))  # |points| at most this; None: no cap
