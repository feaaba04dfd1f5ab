# Base AMI (us-east-1), pinned. Hephestus bumps it when Amazon publishes a newer one.
# Windows_Server-2022-English-Full-Base-2026.11.12
win2022_source_ami = "ami-0b5c1d7e2f4a6c8e0"
