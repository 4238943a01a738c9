"""ros_bridge: ROS topics and bags in, memory queries and plans out (the only package that knows ROS).

Empty in this release.
"""
