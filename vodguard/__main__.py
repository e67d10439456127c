import sys

from vodguard.cli import main

sys.exit(main())
