"""Reports to take away: a self-contained HTML report, the gap CSV and an XLSX workbook,
from the dashboard and from ``feedback report``; and the coachee's released report."""
