"""Reading and writing networks: case files (TOML + CSV) and bulk tables."""
