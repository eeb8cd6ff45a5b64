"""Command line entry point."""


def main():
    print("invtool 2.0.0")
