import subprocess
import sys


def test_torchvision_imports_after_the_fix():
    code = (
        "import perception.torchvision_compat as c\n"
        "import torchvision, torchvision.transforms\n"
        "c.ensure_torchvision()  # idempotent once torchvision is in\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
