"""SME size class is derived from employees and revenue by the official size table (criteria.md §0.4)."""

from decimal import Decimal

import pytest

from enterprises.services import save_declaration, save_financials
from evaluation.engine import size_class
from tests.factories import EnterpriseFactory


@pytest.mark.parametrize(
    ("employees", "revenue", "expected"),
    [
        (999, Decimal("40000"), "medium"),      # fewer than 1,000 employees: still an SME
        (1000, Decimal("39999.99"), "medium"),  # revenue under 40,000万: still an SME
        (1000, Decimal("40000"), "large"),      # both at the threshold: large
        (300, Decimal("2000"), "medium"),
        (299, Decimal("2000"), "small"),
        (300, Decimal("1999.99"), "small"),
        (20, Decimal("300"), "small"),
        (19, Decimal("300"), "micro"),
        (20, Decimal("299.99"), "micro"),
    ],
)
def test_industry_size_boundaries(employees, revenue, expected):
    assert size_class("industry", employees, revenue) == expected


@pytest.mark.django_db
def test_size_class_follows_the_stored_figures_and_is_not_entered():
    enterprise = EnterpriseFactory()
    assert enterprise.size_class == ""
    save_financials(enterprise, 2025, {"operating_revenue": 40000, "main_business_revenue": 38000,
                                        "rd_expense": 1200, "net_profit": 3000, "total_assets": 50000,
                                        "total_liabilities": 20000})
    save_declaration(enterprise, 2025, {"employees": 999, "rd_staff": 100})
    enterprise.refresh_from_db()
    assert enterprise.size_class == "medium"
    save_declaration(enterprise, 2025, {"employees": 1000, "rd_staff": 100})
    enterprise.refresh_from_db()
    assert enterprise.size_class == "large"
