"""NET: host networking rules (interfaces files, links, ARP, overlay MTUs) for any Linux node."""
