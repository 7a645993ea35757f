"""The render: a valid spec -> every file it generates, as text (plan, providers/, templates, YAML and shell
output, headers, the init scaffold). Pure like spec/, which it may import; never files/, release/ or commands/.
"""
