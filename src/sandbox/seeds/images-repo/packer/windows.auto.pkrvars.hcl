# Base AMIs (us-east-1), pinned. Updated by Hephestus when Amazon publishes newer ones.
# Windows_Server-2022-English-Full-Base-2026.09.10
win2022_source_ami = "ami-08944a3ea2df6a9f9"
# Windows_Server-2019-English-Full-Base-2026.09.10
win2019_source_ami = "ami-055ad27ab5d1141d8"
