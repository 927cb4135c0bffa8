"""Inspections (督查检查): inspectors' visits during a warning, their findings measure by measure,
photos kept outside the database, and the office's assignments of enterprises to inspectors."""
