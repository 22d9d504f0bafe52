"""The lab's SSH side: a real OpenSSH sshd per connection (`sshd -i`) whose session is an emulated
network-OS CLI (IOS-like, AOS-CX-like, FortiOS-like) answering from each simulated device's own data."""
