"""``python -m helpers.diagnosis [--strict]``: the doctor's table in a shell (make doctor)."""

import sys

from helpers.diagnosis.report import main

sys.exit(main())
