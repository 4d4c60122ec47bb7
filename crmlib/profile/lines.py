"""Selected transaction lines, column by column (no copy of the whole frame)."""
from __future__ import annotations

import numpy as np
import pandas as pd


class LineColumns:
    """Columns of the transaction lines marked by ``lines``, one at a time: only the column asked
    for is copied (none when every line is marked), never the whole frame (10 million lines with
    their text columns are gigabytes)."""

    def __init__(self, transactions: pd.DataFrame, lines: np.ndarray):
        self.transactions, self.lines, self.every = transactions, lines, bool(lines.all())

    def __contains__(self, name: str) -> bool:
        return name in self.transactions

    def __len__(self) -> int:
        return len(self.transactions) if self.every else int(self.lines.sum())

    def __getitem__(self, name: str) -> pd.Series:
        column = self.transactions[name]
        return column if self.every else column[self.lines]
