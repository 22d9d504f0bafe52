import sys

from thdmon.cli import main

sys.exit(main())
